"""The authorization endpoint is no open redirector (RFC 9700 §4.11.2): an error for a client
registered dynamically goes back to the client only once the signed-in user has approved
that client; until then it is shown on the error page. (Clients an administrator created
keep the redirect: tests/admin/test_clients_api.py.)"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from authgate.runtime import Runtime
from authgate.web.app import create_app
from tests.support import (
    ISSUER,
    PASSWORD,
    REDIRECT_URI,
    USERNAME,
    Flow,
    authorize_params,
    hidden_form,
    new_verifier,
    query_of,
    s256,
)

AUTHORIZE = "/jans-auth/restv1/authorize"


def _params(client_id: str, **extra: str) -> dict[str, str]:
    return authorize_params(client_id, s256(new_verifier()), "S256", **extra)


def _assert_error_page(response: httpx.Response, error: str) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert error in response.text
    assert REDIRECT_URI not in response.text


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"prompt": "none"}, "login_required"),
        ({"prompt": "bogus"}, "invalid_request"),
        ({"response_type": "unknown"}, "unsupported_response_type"),
        ({"code_challenge_method": "S512"}, "invalid_request"),
    ],
)
async def test_errors_for_a_new_dynamic_client_are_pages(
    http: httpx.AsyncClient, flow: Flow, extra: dict[str, str], error: str
) -> None:
    client = await flow.register()
    response = await http.get(f"{AUTHORIZE}?{urlencode(_params(client['client_id'], **extra))}")
    _assert_error_page(response, error)


async def test_a_signed_in_user_who_never_approved_the_client_gets_pages(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    approved = await flow.register()
    await flow.code(approved["client_id"])  # signs alice in; she approves only this client
    other = await flow.register(client_name="Never approved")
    for prompt, error in (("none", "consent_required"), ("bogus", "invalid_request")):
        params = _params(other["client_id"], prompt=prompt)
        _assert_error_page(await http.get(f"{AUTHORIZE}?{urlencode(params)}"), error)


async def test_once_approved_errors_go_back_to_the_client(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    params = _params(client["client_id"], prompt="bogus")
    response = await http.get(f"{AUTHORIZE}?{urlencode(params)}")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    error = query_of(location)
    assert (error["error"], error["state"], error["iss"]) == (
        "invalid_request",
        params["state"],
        ISSUER,
    )


async def test_denied_consent_for_a_new_dynamic_client_is_a_page(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    response = await http.get(f"{AUTHORIZE}?{urlencode(_params(client['client_id']))}")
    login = await http.get(response.headers["location"])
    action, fields = hidden_form(login.text)
    response = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    consent = await http.get(response.headers["location"])
    action, fields = hidden_form(consent.text)
    response = await http.post(action, data=fields | {"decision": "deny"})
    _assert_error_page(response, "access_denied")


async def test_a_client_in_use_gets_its_errors_for_any_visitor(
    http: httpx.AsyncClient, runtime: Runtime, flow: Flow
) -> None:
    """Once a user's approval led to tokens, a signed-out browser's silent request gets
    ``login_required`` at the client (OIDC Core §3.1.2.6), as for any client."""
    client = await flow.register()
    await flow.tokens(await flow.code(client["client_id"]))
    app = create_app(runtime.settings, runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER) as other:
        params = _params(client["client_id"], prompt="none")
        response = await other.get(f"{AUTHORIZE}?{urlencode(params)}")
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "login_required"
