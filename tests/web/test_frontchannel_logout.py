"""Front-channel logout (OpenID Connect Front-Channel Logout 1.0) at the end_session endpoint:
the logged-out page's iframes and their URLs, its Content Security Policy, the registration
rules for ``frontchannel_logout_uri`` (registration and Config API), and discovery."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from authgate.web.logout_page import FRONTCHANNEL_SCRIPT
from tests.lifecycle import END_SESSION, REGISTER
from tests.support import ISSUER, SQLITE_ONLY, Flow

RP = "http://127.0.0.1:8765"
LOGGED_OUT = f"{RP}/jans-auth-rp/logged-out"
FRONT = f"{RP}/jans-auth-rp/front-logout"
OTHER_FRONT = "https://other.example/fc"


class _LogoutPage(HTMLParser):
    """The front-channel URIs (script-loaded ``data-src`` and ``<noscript>`` iframes), the
    next URI and the inline scripts of a logged-out page."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.noscript: list[str] = []
        self.next: str | None = None
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "span" and named.get("data-src"):
            self.sources.append(str(named["data-src"]))
        if tag == "iframe":
            self.noscript.append(str(named["src"]))
        if named.get("id") == "authgate-frontchannel":
            self.next = named.get("data-next")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parse_page(html: str) -> _LogoutPage:
    parsed = _LogoutPage()
    parsed.feed(html)
    return parsed


def claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


async def _sign_in(flow: Flow, **metadata: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    client = await flow.register(post_logout_redirect_uris=[LOGGED_OUT], **metadata)
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    return client, tokens


async def _logout(http: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await http.get(f"{END_SESSION}?{urlencode(params)}")


async def test_session_required_gets_iss_and_sid_then_the_redirect(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    _client, tokens = await _sign_in(
        flow,
        frontchannel_logout_uri=FRONT + "?app=1",
        frontchannel_logout_session_required=True,
    )
    sid = claims_of(tokens["id_token"])["sid"]
    response = await _logout(
        http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT, state="s1"
    )
    assert response.status_code == 200, response.text
    assert 'session_id=""' in response.headers["set-cookie"]
    page = parse_page(response.text)
    assert len(page.sources) == 1
    uri = urlsplit(page.sources[0])
    assert f"{uri.scheme}://{uri.netloc}{uri.path}" == FRONT
    assert parse_qsl(uri.query) == [("app", "1"), ("iss", ISSUER), ("sid", sid)]
    assert page.noscript == page.sources
    assert page.next == LOGGED_OUT + "?state=s1"
    # the policy: exactly the front-channel page as frame source, the one script by its hash
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-src"] == FRONT
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert page.scripts == [FRONTCHANNEL_SCRIPT]
    digest = base64.b64encode(hashlib.sha256(FRONTCHANNEL_SCRIPT.encode()).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert "unsafe-inline" not in directives["script-src"]


async def test_without_session_required_the_uri_is_loaded_as_registered(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    _client, tokens = await _sign_in(flow, frontchannel_logout_uri=FRONT + "?app=1")
    response = await _logout(http, id_token_hint=tokens["id_token"])
    assert response.status_code == 200
    page = parse_page(response.text)
    assert page.sources == [FRONT + "?app=1"]
    assert page.next is None
    assert 'id="signed-out"' in response.text


@SQLITE_ONLY
async def test_every_client_of_the_session_and_only_those_with_a_uri(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    first, tokens = await _sign_in(flow, frontchannel_logout_uri=FRONT)
    other = await flow.register(
        redirect_uris=["https://other.example/cb"],
        frontchannel_logout_uri=OTHER_FRONT,
        frontchannel_logout_session_required=True,
    )
    plain = await flow.register()  # no front-channel URI
    # the same browser session (SSO); a code is enough to take part in the session
    await flow.code(other["client_id"], redirect_uri="https://other.example/cb")
    await flow.code(plain["client_id"])
    response = await _logout(http, id_token_hint=tokens["id_token"])
    page = parse_page(response.text)
    sid = claims_of(tokens["id_token"])["sid"]
    expected = {FRONT, f"{OTHER_FRONT}?{urlencode({'iss': ISSUER, 'sid': sid})}"}
    assert set(page.sources) == expected
    frames = dict(
        d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";")
    )
    assert sorted(frames["frame-src"].split()) == sorted([FRONT, OTHER_FRONT])
    assert first["client_id"] != plain["client_id"]


async def test_no_frontchannel_uri_keeps_the_plain_redirect(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    _client, tokens = await _sign_in(flow)
    response = await _logout(
        http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT
    )
    assert response.status_code == 302
    assert response.headers["location"] == LOGGED_OUT
    assert "frame-src" not in response.headers.get("content-security-policy", "")


@SQLITE_ONLY
async def test_no_session_no_iframes(http: httpx.AsyncClient, flow: Flow) -> None:
    _client, tokens = await _sign_in(flow, frontchannel_logout_uri=FRONT)
    http.cookies.clear()
    response = await _logout(
        http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT
    )
    assert response.status_code == 302  # nothing was ended here, nobody to tell


@SQLITE_ONLY
async def test_confirmed_logout_loads_the_iframes(http: httpx.AsyncClient, flow: Flow) -> None:
    client, _tokens = await _sign_in(flow, frontchannel_logout_uri=FRONT)
    asked = await _logout(http, client_id=client["client_id"], post_logout_redirect_uri=LOGGED_OUT)
    assert asked.status_code == 200 and 'id="logout"' in asked.text
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', asked.text))
    response = await http.post(END_SESSION, data=fields)
    assert response.status_code == 200
    assert parse_page(response.text).sources == [FRONT]
    assert parse_page(response.text).next == LOGGED_OUT


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("uri", "needle"),
    [
        ("https://app.example/fc#x", "fragment"),
        ("http://app.example/fc", "loopback"),
        ("https://elsewhere.example/fc", "redirect URI"),
        ("https://app.example:8443/fc", "redirect URI"),
        ("com.example.app:/fc", "https"),
    ],
)
async def test_registration_validates_the_uri(
    http: httpx.AsyncClient, uri: str, needle: str
) -> None:
    body = {"redirect_uris": ["https://app.example/cb"], "frontchannel_logout_uri": uri}
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert "frontchannel_logout_uri" in response.json()["error_description"]
    assert needle in response.json()["error_description"]


@SQLITE_ONLY
async def test_registration_stores_the_members(http: httpx.AsyncClient) -> None:
    body = {
        "redirect_uris": ["https://app.example/cb"],
        "frontchannel_logout_uri": "https://app.example/fc?x=1",
        "frontchannel_logout_session_required": True,
    }
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 201, response.text
    client = response.json()
    assert client["frontchannel_logout_uri"] == "https://app.example/fc?x=1"
    assert client["frontchannel_logout_session_required"] is True
    read = await http.get(
        f"{REGISTER}?client_id={client['client_id']}",
        headers={"Authorization": f"Bearer {client['registration_access_token']}"},
    )
    assert read.json()["frontchannel_logout_uri"] == "https://app.example/fc?x=1"


@SQLITE_ONLY
async def test_a_client_update_is_validated_too(http: httpx.AsyncClient) -> None:
    """RFC 7592 PUT: the same rules as at registration."""
    body = {"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"}
    created = (await http.post(REGISTER, json=body)).json()
    uri = f"{REGISTER}?client_id={created['client_id']}"
    auth = {"Authorization": f"Bearer {created['registration_access_token']}"}
    update = body | {"client_id": created["client_id"]}
    refused = await http.put(
        uri, json=update | {"frontchannel_logout_uri": "https://elsewhere.example/fc"}, headers=auth
    )
    assert refused.status_code == 400, refused.text
    assert "frontchannel_logout_uri" in refused.json()["error_description"]
    accepted = await http.put(
        uri, json=update | {"frontchannel_logout_uri": "https://app.example/fc"}, headers=auth
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["frontchannel_logout_uri"] == "https://app.example/fc"
