"""With default settings, sector_identifier_uri must be https and may not point at loopback
or private addresses; nothing is fetched from such a URI."""

from __future__ import annotations

import httpx
import pytest

from tests.sector_site import SectorSite
from tests.support import REDIRECT_URI, SQLITE_ONLY


@SQLITE_ONLY  # refused before any fetch or write
@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://127.0.0.1:9/sector.json", "https scheme"),
        ("https://127.0.0.1:9/sector.json", "public address"),
        ("https://localhost:9/sector.json", "public address"),
        ("https://10.20.30.40/sector.json", "public address"),
        ("https://[::1]/sector.json", "public address"),
        ("https://169.254.169.254/latest/meta-data", "public address"),
        ("https://user@app.example/sector.json", "no user information"),
        ("https://app.example/sector.json#x", "no fragment"),
    ],
)
async def test_refused_without_fetching(http: httpx.AsyncClient, uri: str, message: str) -> None:
    body = {
        "token_endpoint_auth_method": "none",
        "redirect_uris": [REDIRECT_URI],
        "sector_identifier_uri": uri,
    }
    response = await http.post("/jans-auth/restv1/register", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert message in response.json()["error_description"]


async def test_loopback_http_is_refused_even_when_served(http: httpx.AsyncClient) -> None:
    with SectorSite() as site:
        uri = site.publish("/sector.json", [REDIRECT_URI])
        body = {"redirect_uris": [REDIRECT_URI], "sector_identifier_uri": uri}
        response = await http.post("/jans-auth/restv1/register", json=body)
        assert response.status_code == 400
        assert site.hits == []
