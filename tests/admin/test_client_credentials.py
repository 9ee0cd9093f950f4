"""The client_credentials grant (RFC 6749 §4.4) at the token endpoint."""

from __future__ import annotations

import httpx

from authgate.admin.scopes import ADMIN_SCOPES, CLIENTS_READ, PROPERTIES_READ
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import flow_registration_body

TOKEN = "/jans-auth/restv1/token"


async def test_admin_client_gets_all_its_scopes_without_refresh_or_id_token(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str]
) -> None:
    response = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=admin_credentials
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"].split() == list(ADMIN_SCOPES)


async def test_client_secret_post_and_scope_subset(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str]
) -> None:
    client_id, secret = admin_credentials
    response = await http.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": f"{PROPERTIES_READ} {CLIENTS_READ}",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == f"{PROPERTIES_READ} {CLIENTS_READ}"


async def test_scope_outside_registration_is_invalid_scope(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str]
) -> None:
    response = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": f"{PROPERTIES_READ} openid"},
        auth=admin_credentials,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "openid" in response.json()["error_description"]


async def test_wrong_secret_is_invalid_client(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str]
) -> None:
    response = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=(admin_credentials[0], "nope")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_public_client_cannot_use_client_credentials(http: httpx.AsyncClient) -> None:
    client = (await http.post("/jans-auth/restv1/register", json=flow_registration_body())).json()
    assert "client_credentials" not in client["grant_types"]
    response = await http.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": client["client_id"]}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


async def test_grant_can_be_switched_off(
    http: httpx.AsyncClient, runtime: Runtime, admin_credentials: tuple[str, str]
) -> None:
    await patch_config(runtime, grantTypesSupported=["authorization_code", "refresh_token"])
    response = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=admin_credentials
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_client_token_is_not_a_userinfo_token(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str]
) -> None:
    token = (
        await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=admin_credentials)
    ).json()["access_token"]
    response = await http.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
