"""DPoP-bound admin tokens (RFC 9449): client_credentials with a proof, used at the Config API."""

from __future__ import annotations

import httpx

from authgate.admin import paths
from authgate.admin.scopes import PROPERTIES_READ
from tests.dpop_support import TOKEN_URL, DPoPKey
from tests.support import ISSUER, FakeClock


async def _bound_token(http: httpx.AsyncClient, credentials: tuple[str, str], key: DPoPKey) -> str:
    response = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": "client_credentials", "scope": PROPERTIES_READ},
        auth=credentials,
        headers={"DPoP": key.proof("POST", TOKEN_URL)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "DPoP"
    token: str = response.json()["access_token"]
    return token


async def test_dpop_bound_admin_token(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str], clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    token = await _bound_token(http, admin_credentials, key)
    url = ISSUER + paths.CONFIG

    as_bearer = await http.get(paths.CONFIG, headers={"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401
    assert as_bearer.json()["error"] == "invalid_token"

    proof = key.proof("GET", url, access_token=token)
    ok = await http.get(paths.CONFIG, headers={"Authorization": f"DPoP {token}", "DPoP": proof})
    assert ok.status_code == 200, ok.text

    wrong_url = key.proof("GET", ISSUER + paths.CLIENTS, access_token=token)
    refused = await http.get(
        paths.CONFIG, headers={"Authorization": f"DPoP {token}", "DPoP": wrong_url}
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_dpop_proof"
    assert refused.headers["www-authenticate"].startswith("DPoP ")

    other_key = DPoPKey(now=clock.now).proof("GET", url, access_token=token)
    stolen = await http.get(
        paths.CONFIG, headers={"Authorization": f"DPoP {token}", "DPoP": other_key}
    )
    assert stolen.status_code == 401
