"""Pushed authorization requests (RFC 9126): push, use once, expiry, require_par, errors."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.dpop_support import PAR_URL, DPoPKey
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    Browser,
    FakeClock,
    Flow,
    authorize_params,
    new_verifier,
    query_of,
    s256,
    token_form,
)

PAR = "/jans-auth/restv1/par"
AUTHORIZE = "/jans-auth/restv1/authorize"


def _push_form(client_id: str, verifier: str | None, **extra: str) -> dict[str, str]:
    challenge = s256(verifier) if verifier else None
    return authorize_params(client_id, challenge, "S256" if verifier else None, **extra)


async def _push(http: httpx.AsyncClient, form: dict[str, str], **kwargs: Any) -> httpx.Response:
    return await http.post(PAR, data=form, **kwargs)


async def test_push_then_authorize(flow: Flow, http: httpx.AsyncClient, browser: Browser) -> None:
    client = await flow.register()
    verifier = new_verifier()
    pushed = await _push(http, _push_form(client["client_id"], verifier))
    assert pushed.status_code == 201, pushed.text
    assert pushed.headers["cache-control"] == "no-store"
    body = pushed.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert body["expires_in"] == 600
    # only client_id and request_uri are sent; other front-channel parameters are ignored
    result = await browser.authorize(
        {"client_id": client["client_id"], "request_uri": body["request_uri"], "scope": "email"}
    )
    assert result.location.startswith(REDIRECT_URI)
    assert result.params["iss"] == ISSUER
    assert result.params["scope"] == "openid profile email"
    tokens = await flow.token(token_form(client["client_id"], result.params["code"], verifier))
    assert tokens.status_code == 200, tokens.text


async def _error_page(http: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    response = await http.get(AUTHORIZE, params=params)
    assert response.status_code == 400, response.text
    assert "location" not in response.headers  # never redirected: the redirect URI is unknown
    return response


async def test_request_uri_is_single_use(
    flow: Flow, http: httpx.AsyncClient, browser: Browser
) -> None:
    client = await flow.register()
    uri = (await _push(http, _push_form(client["client_id"], new_verifier()))).json()
    params = {"client_id": client["client_id"], "request_uri": uri["request_uri"]}
    await browser.authorize(params)
    page = await _error_page(http, params)
    assert "invalid_request_uri" in page.text


async def test_request_uri_expires(flow: Flow, http: httpx.AsyncClient, clock: FakeClock) -> None:
    client = await flow.register(par_lifetime=30)
    body = (await _push(http, _push_form(client["client_id"], new_verifier()))).json()
    assert body["expires_in"] == 30
    clock.advance(31)
    params = {"client_id": client["client_id"], "request_uri": body["request_uri"]}
    assert "invalid_request_uri" in (await _error_page(http, params)).text


async def test_request_uri_of_another_client(flow: Flow, http: httpx.AsyncClient) -> None:
    owner, thief = await flow.register(), await flow.register(client_name="thief")
    body = (await _push(http, _push_form(owner["client_id"], new_verifier()))).json()
    params = {"client_id": thief["client_id"], "request_uri": body["request_uri"]}
    assert "invalid_request_uri" in (await _error_page(http, params)).text
    # and the failed attempt did not spend it
    ok = await http.get(AUTHORIZE, params=params | {"client_id": owner["client_id"]})
    assert ok.status_code == 302


@SQLITE_ONLY
@pytest.mark.parametrize(
    "uri",
    ["urn:ietf:params:oauth:request_uri:nope", "https://rp.example/request.jwt"],
    ids=["unknown", "not ours"],
)
async def test_unknown_and_foreign_request_uris(
    flow: Flow, http: httpx.AsyncClient, uri: str
) -> None:
    client = await flow.register()
    page = await _error_page(http, {"client_id": client["client_id"], "request_uri": uri})
    assert "invalid_request_uri" in page.text


@SQLITE_ONLY
async def test_request_uri_without_client_id(http: httpx.AsyncClient) -> None:
    page = await _error_page(http, {"request_uri": "urn:ietf:params:oauth:request_uri:x"})
    assert "invalid_request" in page.text


#: Stands for the registered (public) client's id in the cases below.
CLIENT = "<registered client>"
PUSH_ERRORS = [
    # (name, client_id, with a verifier, extra parameters, status, error)
    ("public client without PKCE", CLIENT, False, {}, 400, "invalid_request"),
    ("request_uri pushed", CLIENT, True, {"request_uri": "urn:x"}, 400, "invalid_request"),
    (
        "unregistered redirect_uri",
        CLIENT,
        True,
        {"redirect_uri": "https://evil.example/cb"},
        400,
        "invalid_request",
    ),
    (
        "unsupported response_type",
        CLIENT,
        True,
        {"response_type": "code code"},
        400,
        "unsupported_response_type",
    ),
    ("unknown response_mode", CLIENT, True, {"response_mode": "web_msg"}, 400, "invalid_request"),
    (
        "unknown challenge method",
        CLIENT,
        True,
        {"code_challenge_method": "plain2"},
        400,
        "invalid_request",
    ),
    ("unknown client", "unknown-client", True, {}, 401, "invalid_client"),
    ("no client_id", None, True, {}, 401, "invalid_client"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("client_id", "with_verifier", "extra", "status", "error"),
    [case[1:] for case in PUSH_ERRORS],
    ids=[case[0] for case in PUSH_ERRORS],
)
async def test_push_errors(
    flow: Flow,
    http: httpx.AsyncClient,
    client_id: str | None,
    with_verifier: bool,
    extra: dict[str, str],
    status: int,
    error: str,
) -> None:
    client = await flow.register()
    cid = client["client_id"] if client_id in (CLIENT, None) else client_id
    assert cid is not None
    form = _push_form(cid, new_verifier() if with_verifier else None, **extra)
    if client_id is None:
        del form["client_id"]
    response = await _push(http, form)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert "location" not in response.headers


async def test_pkce_required_for_public_push_even_when_relaxed(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, requirePkceForPublicClients=False)
    client = await flow.register()
    response = await _push(http, _push_form(client["client_id"], None))
    assert response.json()["error"] == "invalid_request"
    assert "PKCE" in response.json()["error_description"]


async def test_confidential_client_pushes_with_basic_auth(
    flow: Flow, http: httpx.AsyncClient
) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    form = _push_form(client["client_id"], None)
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    response = await _push(http, form, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 201, response.text
    wrong = base64.b64encode(f"{client['client_id']}:wrong".encode()).decode()
    response = await _push(http, form, headers={"Authorization": f"Basic {wrong}"})
    assert response.status_code == 401


async def test_require_par_for_a_client(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register(administered=True, require_par=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    response = await http.get(AUTHORIZE, params=params)
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert "pushed authorization requests" in error["error_description"]
    assert error["iss"] == ISSUER
    assert error["state"] == params["state"]
    pushed = (await _push(http, _push_form(client["client_id"], new_verifier()))).json()
    ok = await http.get(
        AUTHORIZE, params={"client_id": client["client_id"], "request_uri": pushed["request_uri"]}
    )
    assert ok.status_code == 302 and "/jans-auth/login.htm" in ok.headers["location"]


async def test_require_par_globally(flow: Flow, http: httpx.AsyncClient, runtime: Runtime) -> None:
    await patch_config(runtime, requirePar=True)
    client = await flow.register(administered=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    location = (await http.get(AUTHORIZE, params=params)).headers["location"]
    assert query_of(location)["error"] == "invalid_request"
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["require_pushed_authorization_requests"] is True


async def test_discovery(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["pushed_authorization_request_endpoint"] == ISSUER + PAR
    assert doc["require_pushed_authorization_requests"] is False


async def test_dpop_proof_at_par_binds_the_code(
    flow: Flow, http: httpx.AsyncClient, browser: Browser, clock: FakeClock
) -> None:
    key, other = DPoPKey(now=clock.now), DPoPKey(now=clock.now)
    client = await flow.register()
    verifier = new_verifier()
    form = _push_form(client["client_id"], verifier)
    mismatch = await _push(
        http, form | {"dpop_jkt": other.jkt}, headers={"DPoP": key.proof(htu=PAR_URL)}
    )
    assert mismatch.json()["error"] == "invalid_dpop_proof"
    pushed = await _push(http, form, headers={"DPoP": key.proof(htu=PAR_URL)})
    assert pushed.status_code == 201, pushed.text
    result = await browser.authorize(
        {"client_id": client["client_id"], "request_uri": pushed.json()["request_uri"]}
    )
    tform = token_form(client["client_id"], result.params["code"], verifier)
    assert (await flow.token(tform, headers={"DPoP": other.proof()})).json()[
        "error"
    ] == "invalid_grant"
    ok = await flow.token(tform, headers={"DPoP": key.proof()})
    assert ok.json()["token_type"] == "DPoP"
