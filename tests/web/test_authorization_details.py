"""Rich Authorization Requests (RFC 9396) over HTTP: ``authorization_details`` is checked at
the authorization and PAR endpoints, always asked about on the consent page, and carried to
the tokens: the token response (§7), refreshed tokens, introspection (§9.2) and JWT access
tokens (§9.1). Off unless the server lists types; registration checks a client's types."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.lifecycle import basic
from tests.request_objects import jwks, request_claims, rsa_key, sign
from tests.support import (
    PASSWORD,
    SQLITE_ONLY,
    USERNAME,
    FakeClock,
    Flow,
    IssuedCode,
    authorize_params,
    flow_registration_body,
    hidden_form,
    new_verifier,
    query_of,
    s256,
    token_form,
)

AUTHORIZE = "/jans-auth/restv1/authorize"
TYPES = ["payment_initiation", "account_information"]
PAYMENT = {
    "type": "payment_initiation",
    "actions": ["initiate", "status"],
    "locations": ["https://bank.example/payments"],
    "instructedAmount": {"currency": "EUR", "amount": "123.50"},
    "creditorName": "Merchant A",
}
ACCOUNTS = {"type": "account_information", "actions": ["read"], "identifier": "DE02 1001"}


@pytest.fixture
async def rar(runtime: Runtime) -> None:
    await patch_config(runtime, authorizationDetailsTypesSupported=TYPES)


def _params(client_id: str, verifier: str, details: Any, **extra: str) -> dict[str, str]:
    params = authorize_params(client_id, s256(verifier), "S256", **extra)
    params["authorization_details"] = details if isinstance(details, str) else json.dumps(details)
    return params


async def _code(flow: Flow, client_id: str, details: Any, **extra: str) -> IssuedCode:
    verifier = new_verifier()
    params = _params(client_id, verifier, details, **extra)
    result = await flow.browser.authorize(params)
    assert "code" in result.params, result.params
    assert result.pages[-1] == "consent"
    return IssuedCode(result.params["code"], verifier, params, client_id)


@pytest.mark.usefixtures("rar")
async def test_the_details_reach_the_tokens(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(
        token_endpoint_auth_method="client_secret_basic", access_token_as_jwt=True
    )
    auth = basic(client["client_id"], client["client_secret"])
    issued = await _code(flow, client["client_id"], [PAYMENT, ACCOUNTS])
    response = await flow.token(
        token_form(client["client_id"], issued.code, issued.verifier), headers=auth
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["authorization_details"] == [PAYMENT, ACCOUNTS]
    keys = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    claims = jwt.decode(tokens["access_token"], keys).claims
    assert claims["authorization_details"] == [PAYMENT, ACCOUNTS]
    introspected = await http.post(
        "/jans-auth/restv1/introspection", data={"token": tokens["access_token"]}, headers=auth
    )
    assert introspected.json()["authorization_details"] == [PAYMENT, ACCOUNTS]
    refreshed = await flow.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, headers=auth
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["authorization_details"] == [PAYMENT, ACCOUNTS]
    # a grant without details says nothing of them
    plain = await flow.code(client["client_id"])
    response = await flow.token(
        token_form(client["client_id"], plain.code, plain.verifier), headers=auth
    )
    assert "authorization_details" not in response.json()


@SQLITE_ONLY
@pytest.mark.usefixtures("rar")
async def test_consent_is_asked_every_time_and_never_silently(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])  # signed in, the scopes consented to
    again = await flow.browser.authorize(_params(client["client_id"], new_verifier(), [PAYMENT]))
    assert again.pages == ["consent"]
    silent = _params(client["client_id"], new_verifier(), [PAYMENT], prompt="none")
    error = query_of((await http.get(AUTHORIZE + "?" + urlencode(silent))).headers["location"])
    assert error["error"] == "consent_required"
    denied = await flow.browser.authorize(
        _params(client["client_id"], new_verifier(), [PAYMENT]), consent="deny"
    )
    assert denied.params["error"] == "access_denied"


@SQLITE_ONLY
@pytest.mark.usefixtures("rar")
async def test_the_consent_page_lists_each_detail(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    params = _params(client["client_id"], new_verifier(), [PAYMENT, ACCOUNTS])
    first = await http.get(AUTHORIZE + "?" + urlencode(params))
    login = await http.get(first.headers["location"])
    action, fields = hidden_form(login.text)
    consent = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    page = await http.get(consent.headers["location"])
    assert page.status_code == 200
    assert 'data-type="payment_initiation"' in page.text
    assert 'data-type="account_information"' in page.text
    assert "initiate, status" in page.text
    assert "DE02 1001" in page.text
    assert "&#34;currency&#34;:&#34;EUR&#34;" in page.text or '"currency":"EUR"' in page.text


@SQLITE_ONLY
@pytest.mark.usefixtures("rar")
@pytest.mark.parametrize(
    ("details", "description"),
    [
        ("not json", "authorization_details is not valid JSON"),
        ("{}", "authorization_details must be a non-empty JSON array"),
        ("[]", "authorization_details must be a non-empty JSON array"),
        ('["x"]', "authorization_details[0] is not a JSON object"),
        ('[{"actions": ["read"]}]', "authorization_details[0] has no type"),
        (
            '[{"type": "photo_printing"}]',
            "authorization_details[0]: type 'photo_printing' is not one this client may use",
        ),
        (
            '[{"type": "account_information", "actions": "read"}]',
            "authorization_details[0].actions must be an array of strings",
        ),
        (
            '[{"type": "account_information", "identifier": 7}]',
            "authorization_details[0].identifier must be a string",
        ),
        (
            '[{"type": "account_information", "note": "a\\u0000b"}]',
            "The member [0].note contains a control character",
        ),
        (json.dumps([ACCOUNTS] * 17), "authorization_details holds more than 16 details"),
    ],
)
async def test_malformed_details_are_refused(
    http: httpx.AsyncClient, flow: Flow, details: str, description: str
) -> None:
    client = await flow.register(administered=True)
    params = _params(client["client_id"], new_verifier(), details)
    response = await http.get(AUTHORIZE + "?" + urlencode(params))
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_authorization_details"
    assert error["error_description"] == description
    assert error["state"] == params["state"]


@SQLITE_ONLY
async def test_off_by_default(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    client = await flow.register(administered=True)
    params = _params(client["client_id"], new_verifier(), [PAYMENT])
    error = query_of((await http.get(AUTHORIZE + "?" + urlencode(params))).headers["location"])
    assert error["error"] == "invalid_authorization_details"
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert "authorization_details_types_supported" not in doc
    await patch_config(runtime, authorizationDetailsTypesSupported=TYPES)
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["authorization_details_types_supported"] == TYPES


@SQLITE_ONLY
@pytest.mark.usefixtures("rar")
async def test_a_clients_registered_types_narrow_the_servers(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register(
        administered=True, authorization_details_types=["account_information"]
    )
    assert client["authorization_details_types"] == ["account_information"]
    params = _params(client["client_id"], new_verifier(), [PAYMENT])
    error = query_of((await http.get(AUTHORIZE + "?" + urlencode(params))).headers["location"])
    assert error["error"] == "invalid_authorization_details"
    await _code(flow, client["client_id"], [ACCOUNTS])
    refused = await http.post(
        "/jans-auth/restv1/register",
        json=flow_registration_body() | {"authorization_details_types": ["photo_printing"]},
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"
    assert refused.json()["error_description"].startswith(
        "Parameter authorization_details_types is not valid"
    )


@pytest.mark.usefixtures("rar")
async def test_pushed_details_reach_the_tokens(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    verifier = new_verifier()
    pushed = await http.post(
        "/jans-auth/restv1/par", data=_params(client["client_id"], verifier, [ACCOUNTS])
    )
    assert pushed.status_code == 201, pushed.text
    bad = await http.post(
        "/jans-auth/restv1/par", data=_params(client["client_id"], verifier, "[1]")
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_authorization_details"
    result = await flow.browser.authorize(
        {"client_id": client["client_id"], "request_uri": pushed.json()["request_uri"]}
    )
    tokens = await flow.token(token_form(client["client_id"], result.params["code"], verifier))
    assert tokens.json()["authorization_details"] == [ACCOUNTS]


def _narrowed(form: dict[str, str], details: Any) -> dict[str, str]:
    return form | {"authorization_details": json.dumps(details)}


@pytest.mark.usefixtures("rar")
async def test_a_token_request_narrows_the_details_to_some_the_grant_holds(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    """RFC 9396 §6.1: a code or refresh token request may ask for some of the grant's details;
    that access token carries those (response, JWT, introspection), the refresh token keeps
    all of them. A detail the grant lacks, even one changed in a single member, is refused
    before the code is spent."""
    client = await flow.register(
        token_endpoint_auth_method="client_secret_basic", access_token_as_jwt=True
    )
    auth = basic(client["client_id"], client["client_secret"])
    keys = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())

    async def introspected(token: str) -> Any:
        answer = await http.post(
            "/jans-auth/restv1/introspection", data={"token": token}, headers=auth
        )
        return answer.json()["authorization_details"]

    issued = await _code(flow, client["client_id"], [PAYMENT, ACCOUNTS])
    form = token_form(client["client_id"], issued.code, issued.verifier)
    bigger = {**PAYMENT, "instructedAmount": {"currency": "EUR", "amount": "9999.00"}}
    for refused in ([bigger], [ACCOUNTS, bigger], "[1]", "[]", '{"type": "x"}'):
        answer = await flow.token(
            form | {"authorization_details": refused}
            if isinstance(refused, str)
            else _narrowed(form, refused),
            headers=auth,
        )
        assert answer.status_code == 400, refused
        assert answer.json()["error"] == "invalid_authorization_details", refused
    answer = await flow.token(_narrowed(form, [ACCOUNTS]), headers=auth)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["authorization_details"] == [ACCOUNTS]
    assert jwt.decode(tokens["access_token"], keys).claims["authorization_details"] == [ACCOUNTS]
    assert await introspected(tokens["access_token"]) == [ACCOUNTS]

    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    whole = await flow.token(refresh, headers=auth)
    assert whole.json()["authorization_details"] == [PAYMENT, ACCOUNTS]
    refresh["refresh_token"] = whole.json().get("refresh_token", refresh["refresh_token"])
    payment = await flow.token(_narrowed(refresh, [PAYMENT]), headers=auth)
    assert payment.status_code == 200, payment.text
    assert payment.json()["authorization_details"] == [PAYMENT]
    assert await introspected(payment.json()["access_token"]) == [PAYMENT]
    refresh["refresh_token"] = payment.json().get("refresh_token", refresh["refresh_token"])
    changed = await flow.token(_narrowed(refresh, [bigger]), headers=auth)
    assert changed.status_code == 400
    assert "is not one of the details the grant authorized" in changed.json()["error_description"]

    # a grant without details has none to narrow
    plain = await flow.code(client["client_id"])
    answer = await flow.token(
        _narrowed(token_form(client["client_id"], plain.code, plain.verifier), [ACCOUNTS]),
        headers=auth,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_authorization_details"


@SQLITE_ONLY
@pytest.mark.usefixtures("rar")
async def test_a_retried_narrowing_refresh_gets_the_same_narrowed_answer(flow: Flow) -> None:
    """A public client's rotated refresh token presented again inside the grace window
    (a lost response) gets the same answer, narrowed details included."""
    client = await flow.register()
    issued = await _code(flow, client["client_id"], [PAYMENT, ACCOUNTS])
    tokens = (
        await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    ).json()
    refresh = _narrowed(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client["client_id"],
        },
        [PAYMENT],
    )
    first = await flow.token(refresh)
    again = await flow.token(refresh)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["access_token"] == first.json()["access_token"]
    assert again.json()["authorization_details"] == [PAYMENT]


async def test_other_grants_refuse_authorization_details(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, authorizationDetailsTypesSupported=TYPES)
    client = await flow.register(
        token_endpoint_auth_method="client_secret_basic",
        grant_types=["client_credentials"],
        response_types=[],
        redirect_uris=[],
    )
    answer = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": "client_credentials", "authorization_details": json.dumps([ACCOUNTS])},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_authorization_details"
    assert "client_credentials" in answer.json()["error_description"]


@SQLITE_ONLY
@pytest.mark.usefixtures("rar")
async def test_details_inside_a_signed_request_object(flow: Flow, clock: FakeClock) -> None:
    """RFC 9396 §3 with RFC 9101: the array is a claim of the object, not a string."""
    key = rsa_key()
    client = await flow.register(jwks=jwks(key))
    verifier = new_verifier()
    inner = authorize_params(client["client_id"], s256(verifier), "S256")
    inner["authorization_details"] = [ACCOUNTS]  # type: ignore[assignment]
    signed = sign(request_claims(client["client_id"], clock.now(), inner), key)
    result = await flow.browser.authorize({"client_id": client["client_id"], "request": signed})
    assert result.pages[-1] == "consent"
    tokens = await flow.token(token_form(client["client_id"], result.params["code"], verifier))
    assert tokens.json()["authorization_details"] == [ACCOUNTS]
