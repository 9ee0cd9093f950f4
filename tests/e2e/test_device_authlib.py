"""A real OAuth client library (Authlib) performs the device flow against a real
``authgate serve``: it reads discovery, asks the device authorization endpoint for codes,
polls the token endpoint (``authorization_pending`` until the user answers), receives tokens,
calls userinfo and refreshes. The user's part, the verification page and the sign-in, is
driven with httpx like a browser would."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]

from tests.e2e.harness import AuthgateServer
from tests.support import hidden_form
from tests.web.device_support import DEVICE_GRANT, device_registration

ADMIN = "admin"
SCOPE = "openid profile offline_access"


async def _approve(server: AuthgateServer, verification_uri_complete: str) -> None:
    async with httpx.AsyncClient(base_url=server.issuer, timeout=10) as browser:
        response = await browser.get(verification_uri_complete)
        for _ in range(4):
            assert response.status_code == 303, response.text[:300]
            page = await browser.get(response.headers["location"])
            assert page.status_code == 200, page.text[:300]
            action, fields = hidden_form(page.text)
            if "login.htm" in response.headers["location"]:
                fields |= {"username": ADMIN, "password": server.admin_password}
            else:
                done = await browser.post(action, data=fields | {"decision": "approve"})
                assert done.status_code == 200 and "Device connected" in done.text
                return
            response = await browser.post(action, data=fields)
    raise AssertionError("too many redirects")


async def test_authlib_device_flow(authgate_server: AuthgateServer) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        metadata = (
            await http.get(f"{authgate_server.issuer}/.well-known/openid-configuration")
        ).json()
        registered = await http.post(
            metadata["registration_endpoint"], json=device_registration(scope=SCOPE.split())
        )
    assert registered.status_code == 201, registered.text
    client: dict[str, Any] = registered.json()
    async with AsyncOAuth2Client(
        client_id=client["client_id"],
        token_endpoint_auth_method="none",
        scope=SCOPE,
        timeout=10.0,
    ) as oauth:
        response = await oauth.request(
            "POST",
            metadata["device_authorization_endpoint"],
            data={"client_id": client["client_id"], "scope": SCOPE},
            withhold_token=True,
        )
        assert response.status_code == 200, response.text
        device = response.json()
        with pytest.raises(OAuthError) as pending:
            await oauth.fetch_token(
                metadata["token_endpoint"],
                grant_type=DEVICE_GRANT,
                device_code=device["device_code"],
            )
        assert pending.value.error == "authorization_pending"
        await _approve(authgate_server, device["verification_uri_complete"])
        token = dict(
            await oauth.fetch_token(
                metadata["token_endpoint"],
                grant_type=DEVICE_GRANT,
                device_code=device["device_code"],
            )
        )
        assert token["token_type"].lower() == "bearer"
        assert token["scope"] == SCOPE
        assert {"access_token", "refresh_token", "id_token"} <= set(token)
        info = (await oauth.get(metadata["userinfo_endpoint"])).json()
        assert info["sub"]
        refreshed = dict(
            await oauth.refresh_token(
                metadata["token_endpoint"], refresh_token=token["refresh_token"]
            )
        )
        assert refreshed["access_token"] != token["access_token"]
        with pytest.raises(OAuthError) as used:
            await oauth.fetch_token(
                metadata["token_endpoint"],
                grant_type=DEVICE_GRANT,
                device_code=device["device_code"],
            )
        assert used.value.error == "invalid_grant"
