"""Each step of the authorization request checks on its own, then the driver that runs them
(authgate.core.authorize.steps): plain function calls, no HTTP, no database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import steps
from authgate.core.authorize.steps import Draft, Step
from authgate.core.types import AuthorizationRequest, Client, ClientMetadata
from authgate.errors import (
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)

REDIRECT_URI = "https://rp.example/cb"
CONFIG = AppConfiguration()
PROFILE = CONFIG.model_copy(update={"oauth21ProfileEnabled": True})
# RFC 7636 Appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
# RFC 9449 §10.1
JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
CODE = frozenset({"code"})
ID_TOKEN = frozenset({"id_token"})
HYBRID = frozenset({"code", "id_token"})
PUBLIC = {"token_endpoint_auth_method": "none"}


def make_client(**meta: Any) -> Client:
    fields: dict[str, Any] = {
        "redirect_uris": (REDIRECT_URI,),
        "response_types": ("code", "token", "id_token"),
        "grant_types": ("authorization_code", "implicit"),
        "scope": ("openid", "profile", "email"),
    }
    fields.update(meta)
    return Client("client-1", ClientMetadata(**fields), client_id_issued_at=0)


def make_draft(
    params: Mapping[str, str],
    *,
    config: AppConfiguration = CONFIG,
    meta: Mapping[str, Any] | None = None,
    pushed: bool = False,
    **resolved: Any,
) -> Draft:
    """A draft as the step under test finds it: ``resolved`` stands for earlier steps."""
    client = make_client(**(meta or {}))
    return Draft(params, client, config, REDIRECT_URI, pushed=pushed, **resolved)


def refuse(
    step: Callable[[Draft], object], draft: Draft, error: type[OAuthError], description: str
) -> None:
    """``step`` raises exactly ``error`` (not a subclass) with exactly ``description``."""
    with pytest.raises(OAuthError) as caught:
        step(draft)
    assert type(caught.value) is error
    assert caught.value.description == description


# --- request objects ------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"response_type": "code", "scope": "request"}])
def test_request_object_absent_passes(params: dict[str, str]) -> None:
    steps.check_request_object(make_draft(params))


@pytest.mark.parametrize("name", ["request", "request_uri"])
def test_request_object_refused(name: str) -> None:
    refuse(
        steps.check_request_object,
        make_draft({"response_type": "code", name: "eyJhbGciOiJub25lIn0.e30."}),
        InvalidRequest,
        "request and request_uri cannot be used here",
    )


@pytest.mark.parametrize(
    ("config", "meta"),
    [
        (CONFIG.model_copy(update={"requireSignedRequestObject": True}), {}),
        (CONFIG, {"require_signed_request_object": True}),
    ],
    ids=["server", "client"],
)
def test_signed_request_object_required(config: AppConfiguration, meta: dict[str, Any]) -> None:
    refuse(
        steps.check_request_object,
        make_draft({"response_type": "code"}, config=config, meta=meta),
        InvalidRequest,
        "This client must send its authorization requests as signed request objects "
        "(request or request_uri, RFC 9101 §10.5)",
    )
    steps.check_request_object(
        make_draft({"response_type": "code"}, config=config, meta=meta, signed=True)
    )


# --- claims (OIDC Core §5.5) ----------------------------------------------------------------


def test_claims_normalised_and_acr_merged() -> None:
    claims = (
        '{"id_token": {"acr": {"essential": true, "values": ["urn:b", "urn:c"]}, '
        '"email": null}, "other": 1}'
    )
    draft = make_draft({"claims": claims, "acr_values": "urn:a urn:b"})
    steps.check_claims(draft)
    assert draft.claims == (
        '{"id_token":{"acr":{"essential":true,"values":["urn:b","urn:c"]},"email":null}}'
    )
    assert draft.acr_values == ("urn:a", "urn:b", "urn:c")
    assert draft.acr_essential is True


def test_claims_absent() -> None:
    draft = make_draft({"acr_values": "urn:a"})
    steps.check_claims(draft)
    assert (draft.claims, draft.acr_values, draft.acr_essential) == (None, ("urn:a",), False)


def test_claims_ignored_when_switched_off() -> None:
    config = CONFIG.model_copy(update={"claimsParameterSupported": False})
    draft = make_draft({"claims": '{"id_token": {"acr": {"value": "urn:x"}}}'}, config=config)
    steps.check_claims(draft)
    assert (draft.claims, draft.acr_values) == (None, ())


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ("{not json", "it is not JSON"),
        ("[]", "it must be a JSON object"),
        ('{"userinfo": []}', "userinfo must be a JSON object"),
        ('{"id_token": {"email": 1}}', "id_token.email must be null or a JSON object"),
        (
            '{"id_token": {"email": {"essential": "yes"}}}',
            "id_token.email.essential must be true or false",
        ),
        ('{"userinfo": {"email": {"values": "a"}}}', "userinfo.email.values must be an array"),
    ],
)
def test_claims_malformed(claims: str, why: str) -> None:
    refuse(
        steps.check_claims,
        make_draft({"claims": claims}),
        InvalidRequest,
        f"The claims parameter is not valid: {why} (OIDC Core §5.5)",
    )


# --- OAuth 2.1 profile ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_type", "config"),
    [("code", PROFILE), (None, PROFILE), ("id_token token", CONFIG), ("code id_token", CONFIG)],
)
def test_profile_passes(response_type: str | None, config: AppConfiguration) -> None:
    params = {} if response_type is None else {"response_type": response_type}
    steps.check_profile(make_draft(params, config=config))


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "token code"])
def test_profile_refuses_front_channel_tokens(response_type: str) -> None:
    refuse(
        steps.check_profile,
        make_draft({"response_type": response_type}, config=PROFILE),
        UnsupportedResponseType,
        f"response_type '{response_type}' returns tokens from the authorization endpoint "
        "(implicit grant), which the OAuth 2.1 profile (oauth21ProfileEnabled) refuses",
    )


# --- response_type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("code", "code"),
        ("token id_token", "id_token token"),
        ("id_token code", "code id_token"),
        ("token id_token code", "code id_token token"),
    ],
)
def test_response_type_resolved_in_canonical_spelling(raw: str, canonical: str) -> None:
    draft = make_draft({"response_type": raw})
    steps.check_response_type(draft)
    assert draft.response_type == canonical
    assert draft.parts == frozenset(raw.split())


@pytest.mark.parametrize(
    ("raw", "config", "meta", "error", "description"),
    [
        (None, CONFIG, {}, InvalidRequest, "The request is missing the response_type parameter"),
        ("", CONFIG, {}, InvalidRequest, "The request is missing the response_type parameter"),
        (
            "code code",
            CONFIG,
            {},
            UnsupportedResponseType,
            "response_type 'code code' is not supported",
        ),
        ("device", CONFIG, {}, UnsupportedResponseType, "response_type 'device' is not supported"),
        (
            "token",
            CONFIG.model_copy(update={"implicitFlowEnabled": False}),
            {},
            UnsupportedResponseType,
            "response_type 'token' is not supported",
        ),
        (
            "token",
            CONFIG,
            {"response_types": ("code",)},
            UnauthorizedClient,
            "The client is not registered for response_type 'token' (needs response types "
            "['token'] and grant types ['implicit'])",
        ),
        (
            "id_token code",
            CONFIG,
            {"grant_types": ("authorization_code",)},
            UnauthorizedClient,
            "The client is not registered for response_type 'id_token code' (needs response "
            "types ['code', 'id_token'] and grant types ['authorization_code', 'implicit'])",
        ),
    ],
)
def test_response_type_refused(
    raw: str | None,
    config: AppConfiguration,
    meta: dict[str, Any],
    error: type[OAuthError],
    description: str,
) -> None:
    params = {} if raw is None else {"response_type": raw}
    refuse(
        steps.check_response_type, make_draft(params, config=config, meta=meta), error, description
    )


# --- response_mode --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "requested", "mode"),
    [
        (CODE, None, "query"),
        (CODE, "", "query"),
        (ID_TOKEN, None, "fragment"),
        (HYBRID, None, "fragment"),
        (CODE, "fragment", "fragment"),
        (CODE, "form_post", "form_post"),
        (ID_TOKEN, "form_post", "form_post"),
        (CODE, "jwt", "query.jwt"),
        (HYBRID, "jwt", "fragment.jwt"),
        (ID_TOKEN, "jwt", "fragment.jwt"),
        (CODE, "query.jwt", "query.jwt"),
        (CODE, "fragment.jwt", "fragment.jwt"),
        (ID_TOKEN, "form_post.jwt", "form_post.jwt"),
    ],
)
def test_response_mode_resolved(parts: frozenset[str], requested: str | None, mode: str) -> None:
    params = {"response_type": " ".join(sorted(parts))}
    if requested is not None:
        params["response_mode"] = requested
    draft = make_draft(params, parts=parts)
    steps.check_response_mode(draft)
    assert draft.response_mode == mode


@pytest.mark.parametrize(
    ("raw", "requested", "config", "description"),
    [
        ("code", "web_message", CONFIG, "response_mode 'web_message' is not supported"),
        (
            "code",
            "query.jwt",
            CONFIG.model_copy(update={"responseModesSupported": ["query", "fragment.jwt"]}),
            "response_mode 'query.jwt' is not supported",
        ),
        (
            "code id_token",
            "query.jwt",
            CONFIG,
            "response_mode=query.jwt cannot carry the tokens of response_type 'code id_token': "
            "tokens stay out of URLs' query, encrypted or not; use fragment.jwt or form_post.jwt "
            "(JARM §2.3.1)",
        ),
        (
            "code",
            "form_post",
            CONFIG.model_copy(update={"responseModesSupported": ["query", "fragment"]}),
            "response_mode 'form_post' is not supported",
        ),
        (
            "token id_token",
            "query",
            CONFIG,
            "response_mode=query cannot carry the tokens of response_type 'token id_token'; "
            "use fragment or form_post (OAuth 2.0 Multiple Response Types §5)",
        ),
    ],
)
def test_response_mode_refused(
    raw: str, requested: str, config: AppConfiguration, description: str
) -> None:
    draft = make_draft(
        {"response_type": raw, "response_mode": requested},
        config=config,
        parts=frozenset(raw.split()),
    )
    refuse(steps.check_response_mode, draft, InvalidRequest, description)


# --- scope ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "requested", "scope"),
    [
        (CODE, None, ()),
        (CODE, "profile openid", ("profile", "openid")),
        (CODE, "openid  profile unknown openid", ("openid", "profile")),
        (ID_TOKEN, "openid email", ("openid", "email")),
    ],
)
def test_scope_keeps_registered_scopes_in_request_order(
    parts: frozenset[str], requested: str | None, scope: tuple[str, ...]
) -> None:
    params = {} if requested is None else {"scope": requested}
    draft = make_draft(params, parts=parts)
    steps.check_scope(draft)
    assert draft.scope == scope


@pytest.mark.parametrize(
    ("requested", "registered"),
    [("profile email", ("openid", "profile", "email")), ("openid profile", ("profile",))],
)
def test_scope_openid_required_for_an_id_token(requested: str, registered: tuple[str, ...]) -> None:
    draft = make_draft(
        {"scope": requested},
        meta={"scope": registered},
        parts=HYBRID,
        response_type="code id_token",
    )
    refuse(
        steps.check_scope,
        draft,
        InvalidRequest,
        "response_type 'code id_token' returns an id_token: the openid scope is required "
        "(OIDC Core §3.2.2.1)",
    )


# --- nonce ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "params"),
    [(CODE, {}), (CODE, {"nonce": ""}), (ID_TOKEN, {"nonce": "n-0S6_WzA2Mj"})],
)
def test_nonce_passes(parts: frozenset[str], params: dict[str, str]) -> None:
    steps.check_nonce(make_draft(params, parts=parts))


@pytest.mark.parametrize("params", [{}, {"nonce": ""}])
def test_nonce_required_for_an_id_token(params: dict[str, str]) -> None:
    refuse(
        steps.check_nonce,
        make_draft(params, parts=HYBRID, response_type="code id_token"),
        InvalidRequest,
        "nonce is required for response_type 'code id_token' (OIDC Core §3.2.2.1, §3.3.2.11)",
    )


# --- prompt ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "prompt"),
    [
        (None, frozenset()),
        ("", frozenset()),
        ("none", {"none"}),
        (" login  consent ", {"login", "consent"}),
        ("select_account login login", {"select_account", "login"}),
    ],
)
def test_prompt_resolved(raw: str | None, prompt: frozenset[str]) -> None:
    draft = make_draft({} if raw is None else {"prompt": raw})
    steps.check_prompt(draft)
    assert draft.prompt == prompt


@pytest.mark.parametrize(
    ("raw", "description"),
    [
        ("login bogus", "Unsupported prompt value(s): bogus"),
        ("zeta alpha", "Unsupported prompt value(s): alpha zeta"),
        ("NONE", "Unsupported prompt value(s): NONE"),
        ("none bogus", "Unsupported prompt value(s): bogus"),
        ("none login", "prompt=none cannot be combined with other prompt values"),
    ],
)
def test_prompt_refused(raw: str, description: str) -> None:
    refuse(steps.check_prompt, make_draft({"prompt": raw}), InvalidRequest, description)


# --- max_age --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "default", "max_age"),
    [
        (None, None, None),
        (None, 60, 60),
        ("0", 60, 0),
        ("3600", None, 3600),
        ("0099", None, 99),
        ("9999999999", None, 9_999_999_999),
    ],
)
def test_max_age_resolved(raw: str | None, default: int | None, max_age: int | None) -> None:
    params = {} if raw is None else {"max_age": raw}
    draft = make_draft(params, meta={"default_max_age": default})
    steps.check_max_age(draft)
    assert draft.max_age == max_age


@pytest.mark.parametrize("raw", ["", "-1", "+1", "1.5", " 1", "1e3", "²", "٣", "12345678901"])
def test_max_age_refused(raw: str) -> None:
    refuse(
        steps.check_max_age,
        make_draft({"max_age": raw}),
        InvalidRequest,
        "max_age must be a non-negative integer number of seconds",
    )


# --- PKCE -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "params", "meta", "config", "challenge", "method"),
    [
        # no code, no PKCE: the parameters are not even looked at
        (ID_TOKEN, {"code_challenge": "x", "code_challenge_method": "x"}, {}, PROFILE, None, None),
        (CODE, {}, {}, CONFIG, None, None),
        (
            CODE,
            {},
            PUBLIC,
            CONFIG.model_copy(update={"requirePkceForPublicClients": False}),
            None,
            None,
        ),
        (
            CODE,
            {"code_challenge": CHALLENGE, "code_challenge_method": "S256"},
            {},
            CONFIG,
            CHALLENGE,
            "S256",
        ),
        (
            HYBRID,
            {"code_challenge": CHALLENGE, "code_challenge_method": "s256"},
            {},
            CONFIG,
            CHALLENGE,
            "S256",
        ),
        (
            CODE,
            {"code_challenge": CHALLENGE, "code_challenge_method": "S256"},
            {},
            PROFILE,
            CHALLENGE,
            "S256",
        ),
        (CODE, {"code_challenge": "a" * 43}, {}, CONFIG, "a" * 43, "plain"),
    ],
)
def test_pkce_resolved(
    parts: frozenset[str],
    params: dict[str, str],
    meta: dict[str, Any],
    config: AppConfiguration,
    challenge: str | None,
    method: str | None,
) -> None:
    draft = make_draft(params, config=config, meta=meta, parts=parts)
    steps.check_pkce(draft)
    assert (draft.code_challenge, draft.code_challenge_method) == (challenge, method)


@pytest.mark.parametrize(
    ("params", "meta", "config", "description"),
    [
        (
            {"code_challenge_method": "S256"},
            {},
            CONFIG,
            "code_challenge_method was sent without code_challenge",
        ),
        (
            {},
            PUBLIC,
            CONFIG,
            "PKCE is required for public clients: send code_challenge and "
            "code_challenge_method=S256 (RFC 7636, OAuth 2.1)",
        ),
        (
            {},
            PUBLIC,
            PROFILE.model_copy(update={"requirePkceForPublicClients": False}),
            "PKCE is required for public clients: send code_challenge and "
            "code_challenge_method=S256 (RFC 7636, OAuth 2.1)",
        ),
        (
            {},
            {},
            CONFIG.model_copy(update={"requirePkce": True}),
            "PKCE is required for this client: send code_challenge and "
            "code_challenge_method=S256 (RFC 7636, OAuth 2.1)",
        ),
        (
            {},
            {"require_pkce": True},
            CONFIG,
            "PKCE is required for this client: send code_challenge and "
            "code_challenge_method=S256 (RFC 7636, OAuth 2.1)",
        ),
        (
            {"code_challenge": CHALLENGE, "code_challenge_method": "S512"},
            {},
            CONFIG,
            "code_challenge_method 'S512' is not supported; use S256 or plain",
        ),
        (
            {"code_challenge": CHALLENGE, "code_challenge_method": "S512"},
            {},
            PROFILE,
            "code_challenge_method 'S512' is not supported; use S256",
        ),
        (
            {"code_challenge": "a" * 43},
            {},
            PROFILE,
            "code_challenge_method 'plain' is not allowed by this server; use S256",
        ),
        (  # RFC 7636 §4.3 spells it S256: the profile matches exactly
            {"code_challenge": CHALLENGE, "code_challenge_method": "s256"},
            {},
            PROFILE,
            "code_challenge_method 's256' is not supported; use S256 (RFC 7636 §4.3 "
            "spelling, required by the OAuth 2.1 profile)",
        ),
        (
            {"code_challenge": CHALLENGE[:-1], "code_challenge_method": "S256"},
            {},
            CONFIG,
            "code_challenge for S256 must be 43 base64url characters (RFC 7636 §4.2)",
        ),
        (
            {"code_challenge": "a" * 42, "code_challenge_method": "plain"},
            {},
            CONFIG,
            "code_challenge for plain must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.2)",
        ),
    ],
)
def test_pkce_refused(
    params: dict[str, str], meta: dict[str, Any], config: AppConfiguration, description: str
) -> None:
    draft = make_draft(params, config=config, meta=meta, parts=CODE)
    refuse(steps.check_pkce, draft, InvalidRequest, description)
    assert draft.code_challenge is None


# --- PAR ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pushed", "config", "meta"),
    [
        (False, CONFIG, {}),
        (True, CONFIG, {}),
        (True, CONFIG.model_copy(update={"requirePar": True}), {}),
        (True, CONFIG, {"require_par": True}),
    ],
)
def test_pushed_passes(pushed: bool, config: AppConfiguration, meta: dict[str, Any]) -> None:
    steps.check_pushed(make_draft({}, config=config, meta=meta, pushed=pushed))


@pytest.mark.parametrize(
    ("config", "meta", "who"),
    [
        (CONFIG.model_copy(update={"requirePar": True}), {}, "this server"),
        (CONFIG.model_copy(update={"requirePar": True}), {"require_par": True}, "this server"),
        (CONFIG, {"require_par": True}, "this client"),
    ],
)
def test_pushed_required(config: AppConfiguration, meta: dict[str, Any], who: str) -> None:
    refuse(
        steps.check_pushed,
        make_draft({}, config=config, meta=meta),
        InvalidRequest,
        f"{who} requires pushed authorization requests: push the request to the PAR "
        "endpoint and send its request_uri (RFC 9126 §5)",
    )


# --- dpop_jkt -------------------------------------------------------------------------------


FORCE_JKT = CONFIG.model_copy(update={"dpopJktForceForAuthorizationCode": True})


@pytest.mark.parametrize(
    ("params", "config", "jkt"),
    [({}, CONFIG, None), ({"dpop_jkt": JKT}, CONFIG, JKT), ({"dpop_jkt": JKT}, FORCE_JKT, JKT)],
)
def test_dpop_jkt_resolved(
    params: dict[str, str], config: AppConfiguration, jkt: str | None
) -> None:
    draft = make_draft(params, config=config)
    steps.check_dpop_jkt(draft)
    assert draft.dpop_jkt == jkt


@pytest.mark.parametrize(
    ("params", "config", "description"),
    [
        ({}, FORCE_JKT, "dpop_jkt is required by this server (RFC 9449 §10)"),
        (
            {"dpop_jkt": JKT[:-1]},
            CONFIG,
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 7638)",
        ),
        (
            {"dpop_jkt": JKT + "="},
            CONFIG,
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 7638)",
        ),
        (
            {"dpop_jkt": JKT[:-1] + "+"},
            FORCE_JKT,
            "dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 7638)",
        ),
    ],
)
def test_dpop_jkt_refused(
    params: dict[str, str], config: AppConfiguration, description: str
) -> None:
    refuse(steps.check_dpop_jkt, make_draft(params, config=config), InvalidRequest, description)


# --- the driver -----------------------------------------------------------------------------

ORDER = [
    "check_request_object",
    "check_profile",
    "check_response_type",
    "check_response_mode",
    "check_scope",
    "check_resource",
    "check_nonce",
    "check_prompt",
    "check_max_age",
    "check_claims",
    "check_authorization_details",
    "check_pkce",
    "check_pushed",
    "check_dpop_jkt",
]

HYBRID_PARAMS = {
    "response_type": "id_token code",
    "response_mode": "form_post",
    "scope": "openid profile",
    "state": "af0ifjsldkj",
    "nonce": "n-0S6_WzA2Mj",
    "prompt": "login",
    "max_age": "300",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
    "login_hint": "alice",
    "acr_values": "urn:a  urn:b",
    "dpop_jkt": JKT,
}


def test_steps_table_order() -> None:
    assert [step.__name__ for step in steps.STEPS] == ORDER


def test_run_runs_the_table_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def recording(step: Step) -> Step:
        def wrapper(draft: Draft) -> None:
            ran.append(step.__name__)
            step(draft)

        return wrapper

    monkeypatch.setattr(steps, "STEPS", tuple(recording(s) for s in steps.STEPS))
    steps.run(make_draft(HYBRID_PARAMS))
    assert ran == ORDER


def test_run_stops_at_the_first_failing_step(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def record(name: str, fail: bool) -> Step:
        def step(draft: Draft) -> None:
            ran.append(name)
            if fail:
                raise InvalidRequest(name)

        return step

    table = (record("a", False), record("b", True), record("c", True))
    monkeypatch.setattr(steps, "STEPS", table)
    with pytest.raises(InvalidRequest, match=r"^b$"):
        steps.run(make_draft({}))
    assert ran == ["a", "b"]


def test_run_returns_the_validated_hybrid_request() -> None:
    request = steps.run(make_draft(HYBRID_PARAMS))
    assert request == AuthorizationRequest(
        client_id="client-1",
        redirect_uri=REDIRECT_URI,
        redirect_uri_given=False,
        response_type="code id_token",
        scope=("openid", "profile"),
        state="af0ifjsldkj",
        nonce="n-0S6_WzA2Mj",
        response_mode="form_post",
        prompt=frozenset({"login"}),
        max_age=300,
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
        login_hint="alice",
        acr_values=("urn:a", "urn:b"),
        dpop_jkt=JKT,
    )


def test_run_returns_a_minimal_code_request() -> None:
    params = {"response_type": "code", "redirect_uri": REDIRECT_URI, "nonce": "kept"}
    request = steps.run(make_draft(params, meta={"default_max_age": 30}))
    assert request == AuthorizationRequest(
        client_id="client-1",
        redirect_uri=REDIRECT_URI,
        redirect_uri_given=True,
        response_type="code",
        scope=(),
        nonce="kept",
        response_mode="query",
        max_age=30,
    )


@pytest.mark.parametrize(
    ("params", "config", "meta", "error", "description"),
    [
        (
            {"request": "x", "response_type": "code", "response_mode": "bogus"},
            PROFILE,
            {},
            InvalidRequest,
            "request and request_uri cannot be used here",
        ),
        (
            {"response_type": "token"},
            PROFILE,
            {"response_types": ("code",)},
            UnsupportedResponseType,
            "response_type 'token' returns tokens from the authorization endpoint (implicit "
            "grant), which the OAuth 2.1 profile (oauth21ProfileEnabled) refuses",
        ),
        (
            {"response_type": "token", "response_mode": "bogus"},
            CONFIG,
            {"response_types": ("code",)},
            UnauthorizedClient,
            "The client is not registered for response_type 'token' (needs response types "
            "['token'] and grant types ['implicit'])",
        ),
        (
            {"response_type": "id_token", "response_mode": "query", "scope": "profile"},
            CONFIG,
            {},
            InvalidRequest,
            "response_mode=query cannot carry the tokens of response_type 'id_token'; use "
            "fragment or form_post (OAuth 2.0 Multiple Response Types §5)",
        ),
        (
            {"response_type": "id_token", "scope": "profile"},
            CONFIG,
            {},
            InvalidRequest,
            "response_type 'id_token' returns an id_token: the openid scope is required "
            "(OIDC Core §3.2.2.1)",
        ),
        (
            {"response_type": "id_token", "scope": "openid", "prompt": "bogus"},
            CONFIG,
            {},
            InvalidRequest,
            "nonce is required for response_type 'id_token' (OIDC Core §3.2.2.1, §3.3.2.11)",
        ),
        (
            {"response_type": "code", "prompt": "none login", "max_age": "x"},
            CONFIG,
            {},
            InvalidRequest,
            "prompt=none cannot be combined with other prompt values",
        ),
        (
            {"response_type": "code", "max_age": "-5", "code_challenge_method": "S256"},
            CONFIG,
            {},
            InvalidRequest,
            "max_age must be a non-negative integer number of seconds",
        ),
        (
            {"response_type": "code", "dpop_jkt": "short"},
            CONFIG.model_copy(update={"requirePar": True}),
            PUBLIC,
            InvalidRequest,
            "PKCE is required for public clients: send code_challenge and "
            "code_challenge_method=S256 (RFC 7636, OAuth 2.1)",
        ),
        (
            {"response_type": "code", "dpop_jkt": "short"},
            CONFIG.model_copy(update={"requirePar": True}),
            {},
            InvalidRequest,
            "this server requires pushed authorization requests: push the request to the PAR "
            "endpoint and send its request_uri (RFC 9126 §5)",
        ),
    ],
)
def test_run_reports_the_earliest_failing_check(
    params: dict[str, str],
    config: AppConfiguration,
    meta: dict[str, Any],
    error: type[OAuthError],
    description: str,
) -> None:
    draft = make_draft(params, config=config, meta=meta)
    refuse(steps.run, draft, error, description)


def test_ui_locales_are_kept_in_order_as_a_hint() -> None:
    assert steps.ui_locales("fr-CA de  en") == ("fr-CA", "de", "en")
    assert steps.ui_locales(None) == () and steps.ui_locales("") == ()
    assert steps.ui_locales("x" * 36 + " de") == ("de",)  # an overlong tag is dropped
    assert len(steps.ui_locales(" ".join(["de"] * 40))) == steps.MAX_UI_LOCALES


def test_ui_locales_survive_the_stored_interaction() -> None:
    request = AuthorizationRequest(
        client_id="c",
        redirect_uri="https://rp.example/cb",
        redirect_uri_given=True,
        response_type="code",
        scope=("openid",),
        ui_locales=("de", "en"),
    )
    assert AuthorizationRequest.from_json(request.to_json()) == request
    legacy = request.to_json()
    del legacy["ui_locales"]  # an interaction stored before the member existed
    assert AuthorizationRequest.from_json(legacy).ui_locales == ()


def test_a_stored_request_reads_across_versions() -> None:
    """A rolling upgrade: an earlier version reads what this one stores (members left at
    None are not written, so it meets none it does not know), and this version reads what a
    later one stores (members it does not know are ignored)."""
    request = AuthorizationRequest(
        client_id="c",
        redirect_uri="https://rp.example/cb",
        redirect_uri_given=False,
        response_type="code",
        scope=("openid",),
        state="s",
        response_encryption={"alg": "ECDH-ES", "enc": "A128GCM", "jwk": {"kty": "EC"}},
    )
    stored = request.to_json()
    assert "nonce" not in stored and "authorization_details" not in stored
    assert stored["state"] == "s" and stored["response_encryption"]["alg"] == "ECDH-ES"
    assert AuthorizationRequest.from_json(stored) == request
    later = {**stored, "a_member_of_a_later_version": 1}
    assert AuthorizationRequest.from_json(later) == request
