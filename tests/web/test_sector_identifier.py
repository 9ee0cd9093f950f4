"""Pairwise subjects per sector (OIDC Core §8.1) with sector_identifier_uri (OIDC
Registration §5), fetched from a real local HTTP server.

This module turns on the test-only setting that lets the server fetch ``http`` documents
from loopback hosts; tests/web/test_sector_identifier_policy.py checks the default refuses.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.sector_site import Answer, SectorSite
from tests.support import SQLITE_ONLY, Flow, authorize_params, new_verifier, s256, token_form

A = "https://app-a.example/cb"
B = "https://app-b.example/cb"
USERINFO = "/jans-auth/restv1/userinfo"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        issuer_url="http://127.0.0.1:8080",
        database_url=database_url,
        admin_password="admin-password-1",
        sector_identifier_allow_http_loopback=True,
    )


@pytest.fixture
def site() -> Iterator[SectorSite]:
    with SectorSite() as running:
        yield running


async def _register(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    base = {
        "client_name": "Sector client",
        "token_endpoint_auth_method": "none",
        "scope": ["openid", "email"],
        "redirect_uris": [A],
    }
    return await http.post("/jans-auth/restv1/register", json=base | body)


async def _subjects(http: httpx.AsyncClient, flow: Flow, client_id: str, redirect: str) -> str:
    """Run the code flow to ``redirect``; the id_token's sub, checked against userinfo."""
    verifier = new_verifier()
    params = authorize_params(client_id, s256(verifier), "S256", redirect_uri=redirect)
    code = (await flow.browser.authorize(params)).params["code"]
    tokens = await flow.token(token_form(client_id, code, verifier, redirect_uri=redirect))
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    jwks = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    sub = str(jwt.decode(body["id_token"], jwks).claims["sub"])
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await http.get(USERINFO, headers=auth)).json()["sub"] == sub
    return sub


async def test_sector_groups_hosts_under_one_subject(
    http: httpx.AsyncClient, flow: Flow, site: SectorSite, runtime: Runtime
) -> None:
    uri = site.publish("/sector.json", [A, B, "https://unrelated.example/x"])
    response = await _register(http, redirect_uris=[A, B], sector_identifier_uri=uri)
    assert response.status_code == 201, response.text
    client = response.json()
    assert client["sector_identifier_uri"] == uri
    assert client["subject_type"] == "pairwise"
    assert site.hits == ["/sector.json"]
    sub_a = await _subjects(http, flow, client["client_id"], A)
    assert await _subjects(http, flow, client["client_id"], B) == sub_a
    # another client of the same sector sees the same subject ...
    sibling = (await _register(http, redirect_uris=[B], sector_identifier_uri=uri)).json()
    assert await _subjects(http, flow, sibling["client_id"], B) == sub_a
    # ... one on host A without the sector document does not
    alone = (await _register(http, redirect_uris=[A])).json()
    sub_alone = await _subjects(http, flow, alone["client_id"], A)
    assert sub_alone != sub_a
    user = await runtime.services.users.get_by_username("alice")
    assert user is not None
    assert user.user_id not in (sub_a, sub_alone)
    # public subjects ignore the sector
    public = (
        await _register(
            http, redirect_uris=[A, B], sector_identifier_uri=uri, subject_type="public"
        )
    ).json()
    assert await _subjects(http, flow, public["client_id"], B) == user.user_id


async def test_document_must_list_every_redirect_uri(
    http: httpx.AsyncClient, site: SectorSite
) -> None:
    uri = site.publish("/partial.json", [A])
    response = await _register(http, redirect_uris=[A, B], sector_identifier_uri=uri)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_client_metadata"
    assert B in body["error_description"]


async def test_several_hosts_need_a_sector(http: httpx.AsyncClient) -> None:
    response = await _register(http, redirect_uris=[A, B])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"
    assert "sector_identifier_uri" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(b"[]", status=404), "HTTP 404"),
        (Answer(b"", status=302, location="https://elsewhere.example/s.json"), "HTTP 302"),
        (Answer(b"<html>not json</html>", content_type="text/html"), "not JSON"),
        (Answer(b'{"redirect_uris": []}'), "not a JSON array"),
        (Answer(b"[1, 2]"), "not a JSON array"),
        (Answer(b'["' + b"a" * 70000 + b'"]'), "larger than"),
    ],
)
async def test_bad_documents_are_refused(
    http: httpx.AsyncClient, site: SectorSite, answer: Answer, message: str
) -> None:
    site.answers["/bad.json"] = answer
    response = await _register(http, sector_identifier_uri=site.url("/bad.json"))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_client_metadata"
    assert message in body["error_description"]
    assert "sector_identifier_uri" in body["error_description"]


async def test_unreachable_document(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    response = await _register(http, sector_identifier_uri=f"http://127.0.0.1:{port}/s.json")
    assert response.status_code == 400
    assert "failed (ConnectError)" in response.json()["error_description"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "uri",
    ["ftp://127.0.0.1/s.json", "http://app.example/s.json", "not a uri", "https://"],
    ids=["ftp", "http off loopback", "not a URI", "no host"],
)
async def test_bad_uris_are_refused(http: httpx.AsyncClient, uri: str) -> None:
    response = await _register(http, sector_identifier_uri=uri)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


def test_the_site_records_a_client_that_hangs_up_instead_of_printing_it(
    site: SectorSite, capfd: pytest.CaptureFixture[str]
) -> None:
    """A server under test that stops reading (a document over its size limit) makes the
    site's write fail; socketserver would print that as a traceback into the test output."""
    import struct
    import time

    site.answers["/big.json"] = Answer(b"[" + b" " * 8_000_000 + b"]", delay=0.2)
    host, port = site.server_address[:2]
    with socket.create_connection((str(host), port)) as client:
        client.sendall(b"GET /big.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        # close with a reset (linger 0) before the answer is written
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 10
    while not site.hung_up and time.monotonic() < deadline:
        time.sleep(0.05)
    assert site.hung_up == ["/big.json"]
    assert "Traceback" not in capfd.readouterr().err
