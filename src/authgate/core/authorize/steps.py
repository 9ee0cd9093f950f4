"""The checks of an authorization request once its client and redirect URI are trusted, as a
table of named steps run in order (RFC 6749 §4.1.1, §4.2.1, OIDC Core §3.1.2.1).

Each step reads the :class:`Draft`, may record what it resolved there (the response type,
the scopes, the PKCE challenge, ...) and raises an :class:`~authgate.errors.OAuthError` when
the request fails its check. :func:`run` runs :data:`STEPS` in order, so the first failing
check decides the error; the caller delivers it (a redirect from the authorization endpoint,
JSON from the PAR endpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from authgate.appconfig import AppConfiguration
from authgate.core import profile, resources
from authgate.core.authorize import (
    authorization_details,
    claims_request,
    jarm,
    pkce,
    request_object,
    response_types,
)
from authgate.core.authorize import security as authorize_security
from authgate.core.authorize.response_types import CODE, ID_TOKEN
from authgate.core.federation.model import ALIAS
from authgate.core.types import AuthorizationRequest, Client
from authgate.errors import InvalidRequest

#: ``prompt`` values this server implements (OIDC Core §3.1.2.1).
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
#: ``prompt=create`` (OpenID Connect Prompt Create 1.0), when sign-up is on.
CREATE = "create"


def prompts(config: AppConfiguration) -> frozenset[str]:
    """The ``prompt`` values accepted (and advertised) under ``config``: ``create`` only when
    self-service sign-up is on; otherwise it is an unsupported value (Prompt Create 1.0 §4:
    ``invalid_request``)."""
    return PROMPTS | {CREATE} if config.selfServiceSignUpEnabled else PROMPTS


@dataclass(slots=True)
class Draft:
    """An authorization request under check: its parameters and context, and what the steps
    have resolved so far (the fields after ``pushed``)."""

    params: Mapping[str, str]
    client: Client
    config: AppConfiguration
    redirect_uri: str
    #: The parameters came from the PAR endpoint (RFC 9126).
    pushed: bool = False
    #: The parameters came in a request object whose signature verified (RFC 9101), or were
    #: pushed to PAR, where that was checked when they were pushed.
    signed: bool = False
    response_type: str = ""
    parts: response_types.ResponseType = frozenset()
    response_mode: str = "query"
    scope: tuple[str, ...] = ()
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    dpop_jkt: str | None = None
    resource: tuple[str, ...] = ()
    claims: str | None = None
    acr_values: tuple[str, ...] = ()
    acr_essential: bool = False
    authorization_details: str | None = None

    def request(self) -> AuthorizationRequest:
        """The validated request, once every step has passed."""
        params = self.params
        return AuthorizationRequest(
            client_id=self.client.client_id,
            redirect_uri=self.redirect_uri,
            redirect_uri_given="redirect_uri" in params,
            response_type=self.response_type,
            scope=self.scope,
            state=params.get("state"),
            nonce=params.get("nonce"),
            response_mode=self.response_mode,
            prompt=self.prompt,
            max_age=self.max_age,
            code_challenge=self.code_challenge,
            code_challenge_method=self.code_challenge_method,
            login_hint=params.get("login_hint"),
            acr_values=self.acr_values,
            dpop_jkt=self.dpop_jkt,
            resource=self.resource,
            claims=self.claims,
            acr_essential=self.acr_essential,
            ui_locales=ui_locales(params.get("ui_locales")),
            idp_hint=idp_hint(params.get("kc_idp_hint")),
            authorization_details=self.authorization_details,
            response_signing_alg=(
                (self.client.metadata.authorization_signed_response_alg or jarm.DEFAULT_ALG)
                if jarm.is_jwt(self.response_mode)
                else None
            ),
        )


#: At most this many ``ui_locales`` tags are kept, each at most this long (BCP 47 tags are short).
MAX_UI_LOCALES = 16
MAX_LOCALE_TAG = 35


def ui_locales(value: str | None) -> tuple[str, ...]:
    """``ui_locales``: space-separated BCP 47 tags in order of preference (OIDC Core
    §3.1.2.1). A hint only: overlong tags are dropped, never an error."""
    if not value:
        return ()
    tags = [tag for tag in value.split() if len(tag) <= MAX_LOCALE_TAG]
    return tuple(tags[:MAX_UI_LOCALES])


def idp_hint(value: str | None) -> str | None:
    """``kc_idp_hint`` when it has the shape of a provider alias; a hint only: anything
    else is dropped, never an error (docs/federation.md)."""
    return value if value and ALIAS.fullmatch(value) else None


Step = Callable[[Draft], None]


def check_request_object(draft: Draft) -> None:
    """A request object is unpacked before the steps run (:mod:`.request_object`); one left
    here was not, and a signed one is required if the server or client says so (RFC 9101
    §10.5)."""
    if "request" in draft.params or "request_uri" in draft.params:
        raise InvalidRequest("request and request_uri cannot be used here")
    if not draft.signed and request_object.signed_required(draft.client, draft.config):
        raise InvalidRequest(
            "This client must send its authorization requests as signed request objects "
            "(request or request_uri, RFC 9101 §10.5)"
        )


def check_profile(draft: Draft) -> None:
    """No implicit or hybrid response type under the OAuth 2.1 profile (OAuth 2.1 §10.1)."""
    profile.check_response_type(draft.params.get("response_type") or "", draft.config)


def check_response_type(draft: Draft) -> None:
    """``response_type`` is supported and registered for the client (OIDC Core §3, MRT §3)."""
    raw = draft.params.get("response_type")
    draft.parts = response_types.check_type(raw, draft.client, draft.config)
    draft.response_type = response_types.canonical(draft.parts)


def check_response_mode(draft: Draft) -> None:
    """``response_mode`` is supported and can carry the response (MRT §2.1, §5; FPRM §2)."""
    draft.response_mode = response_types.check_mode(
        draft.params.get("response_mode"),
        draft.parts,
        draft.params.get("response_type") or "",
        draft.config,
    )


def check_scope(draft: Draft) -> None:
    """Keep the registered scopes (RFC 6749 §3.3); openid for an id_token (OIDC Core §3.2.2.1)."""
    requested = [s for s in draft.params.get("scope", "").split(" ") if s]
    registered = draft.client.metadata.scope
    draft.scope = tuple(dict.fromkeys(s for s in requested if s in registered))
    if ID_TOKEN in draft.parts and "openid" not in draft.scope:
        raise InvalidRequest(
            f"response_type '{draft.response_type}' returns an id_token: the openid scope is "
            "required (OIDC Core §3.2.2.1)"
        )


def check_resource(draft: Draft) -> None:
    """Each ``resource`` is an absolute URI without fragment that the client may name
    (RFC 8707 §2: ``invalid_target``)."""
    draft.resource = resources.at_authorization(draft.params, draft.client, draft.config)


def check_nonce(draft: Draft) -> None:
    """``nonce`` is required when an id_token is returned (OIDC Core §3.2.2.1, §3.3.2.11)."""
    if ID_TOKEN in draft.parts and not draft.params.get("nonce"):
        raise InvalidRequest(
            f"nonce is required for response_type '{draft.response_type}' "
            "(OIDC Core §3.2.2.1, §3.3.2.11)"
        )


def check_prompt(draft: Draft) -> None:
    """``prompt`` values are known, and ``none`` stands alone (OIDC Core §3.1.2.1)."""
    prompt = frozenset(p for p in draft.params.get("prompt", "").split(" ") if p)
    known = prompts(draft.config)
    if not prompt <= known:
        raise InvalidRequest(f"Unsupported prompt value(s): {' '.join(sorted(prompt - known))}")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other prompt values")
    draft.prompt = prompt


def check_max_age(draft: Draft) -> None:
    """``max_age`` (OIDC Core §3.1.2.1), else ``default_max_age`` (OIDC Registration §2)."""
    raw = draft.params.get("max_age")
    if raw is None:
        draft.max_age = draft.client.metadata.default_max_age
        return
    # ASCII digits only: str.isdigit alone also accepts "²", which int refuses; more than
    # ten digits (over 300 years) is refused as well.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise InvalidRequest("max_age must be a non-negative integer number of seconds")
    draft.max_age = int(raw)


def check_pkce(draft: Draft) -> None:
    """PKCE challenge and method for a code (RFC 7636 §4.3, §4.4.1; OAuth 2.1 §4.1.1)."""
    if CODE not in draft.parts:
        return
    challenge = draft.params.get("code_challenge")
    method = draft.params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method was sent without code_challenge")
        if _pkce_required(draft.client, draft.config):
            who = "public clients" if draft.client.metadata.is_public else "this client"
            raise InvalidRequest(
                f"PKCE is required for {who}: send code_challenge and "
                "code_challenge_method=S256 (RFC 7636, OAuth 2.1)"
            )
        return
    canonical = pkce.normalise_method(
        method, profile.pkce_methods(draft.config), exact=profile.pkce_method_exact(draft.config)
    )
    pkce.check_challenge(challenge, canonical)
    draft.code_challenge, draft.code_challenge_method = challenge, canonical


def _pkce_required(client: Client, config: AppConfiguration) -> bool:
    return (
        config.requirePkce
        or client.metadata.require_pkce
        or (client.metadata.is_public and profile.pkce_required_for_public_clients(config))
    )


def check_claims(draft: Draft) -> None:
    """The ``claims`` parameter is a well-formed claims request (OIDC Core §5.5); its
    ``id_token.acr`` values join ``acr_values`` (:func:`claims_request.merged_acr_values`)."""
    claims = claims_request.normalise(draft.params.get("claims"))
    acr_values = tuple(draft.params.get("acr_values", "").split())
    if claims is not None and draft.config.claimsParameterSupported:
        draft.claims = claims
        draft.acr_essential = claims_request.requested_acr(claims).essential
    draft.acr_values = claims_request.merged_acr_values(acr_values, draft.claims)


def check_authorization_details(draft: Draft) -> None:
    """``authorization_details`` is a JSON array of details of types the client may use
    (RFC 9396 §2, §5)."""
    allowed = authorization_details.allowed_types(
        draft.client.metadata.authorization_details_types,
        draft.config.authorizationDetailsTypesSupported,
    )
    draft.authorization_details = authorization_details.parse(
        draft.params.get("authorization_details"), allowed
    )


def check_pushed(draft: Draft) -> None:
    """The request was pushed if the server or the client requires PAR (RFC 9126 §5)."""
    authorize_security.check_pushed(draft.client, draft.config, pushed=draft.pushed)


def check_dpop_jkt(draft: Draft) -> None:
    """``dpop_jkt`` is a JWK thumbprint, present if the server requires it (RFC 9449 §10)."""
    draft.dpop_jkt = authorize_security.dpop_jkt(draft.params, draft.config)


#: The checks in the order they run: the first that fails decides the error.
STEPS: tuple[Step, ...] = (
    check_request_object,
    check_profile,
    check_response_type,
    check_response_mode,
    check_scope,
    check_resource,
    check_nonce,
    check_prompt,
    check_max_age,
    check_claims,
    check_authorization_details,
    check_pkce,
    check_pushed,
    check_dpop_jkt,
)


def run(draft: Draft) -> AuthorizationRequest:
    """Run :data:`STEPS` on ``draft`` in order and return the validated request.

    Raises:
        OAuthError: from the first step that fails.
    """
    for step in STEPS:
        step(draft)
    return draft.request()
