"""The device flow over HTTP for the web and end-to-end tests: registering a device client,
asking for a device authorization, polling, and approving in a cookie-keeping HTTP client as
a browser would (the page's forms, read from the HTML)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import PASSWORD, USERNAME, hidden_form

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_AUTHORIZATION = "/jans-auth/restv1/device_authorization"
DEVICE_PAGE = "/jans-auth/device_authorization.htm"
TOKEN = "/jans-auth/restv1/token"


def device_registration(**overrides: Any) -> dict[str, Any]:
    """A public device client: the device_code and refresh_token grants, no redirect URI."""
    body: dict[str, Any] = {
        "client_name": "Living Room TV",
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "scope": ["openid", "profile", "offline_access"],
        "grant_types": [DEVICE_GRANT, "refresh_token"],
        "response_types": [],
    }
    return body | overrides


async def register_device_client(http: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await http.post("/jans-auth/restv1/register", json=device_registration(**overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def request_device(http: httpx.AsyncClient, client_id: str, **form: str) -> dict[str, Any]:
    response = await http.post(DEVICE_AUTHORIZATION, data={"client_id": client_id} | form)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def poll(http: httpx.AsyncClient, client_id: str, device_code: str) -> httpx.Response:
    form = {"grant_type": DEVICE_GRANT, "client_id": client_id, "device_code": device_code}
    return await http.post(TOKEN, data=form)


async def approve(
    http: httpx.AsyncClient,
    user_code: str,
    *,
    decision: str = "approve",
    username: str = USERNAME,
    password: str = PASSWORD,
) -> httpx.Response:
    """Type ``user_code`` on the verification page, sign in if asked, and answer; returns the
    final page."""
    response = await http.get(DEVICE_PAGE, params={"user_code": user_code})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    if "login.htm" in location:
        login = await http.get(location)
        assert login.status_code == 200, login.text
        action, fields = hidden_form(login.text)
        fields |= {"username": username, "password": password}
        response = await http.post(action, data=fields)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
    assert location.startswith(DEVICE_PAGE + "?ix="), location
    page = await http.get(location)
    assert page.status_code == 200, page.text
    action, fields = hidden_form(page.text)
    return await http.post(action, data=fields | {"decision": decision})
