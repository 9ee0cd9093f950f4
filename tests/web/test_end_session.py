"""RP-initiated logout at /jans-auth/restv1/end_session: id_token_hint, registered
post_logout_redirect_uri, state, confirmation with CSRF, the end of SSO and of the session's
grants, and the registration rules for logout URIs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from authgate.runtime import Runtime
from tests.lifecycle import END_SESSION, REGISTER, refresh_form, userinfo_status
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    FakeClock,
    Flow,
    authorize_params,
    hidden_form,
    new_verifier,
    s256,
)

LOGGED_OUT = "http://127.0.0.1:8765/jans-auth-rp/logged-out"


async def _signed_in(flow: Flow, **metadata: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    client = await flow.register(post_logout_redirect_uris=[LOGGED_OUT], **metadata)
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    return client, tokens


async def _sso_pages(flow: Flow, client_id: str) -> list[str]:
    """The pages an authorization request shows now ([] means silent SSO)."""
    verifier = new_verifier(64)
    result = await flow.browser.authorize(authorize_params(client_id, s256(verifier), "S256"))
    assert "code" in result.params
    return result.pages


async def _logout(http: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await http.get(f"{END_SESSION}?{urlencode(params)}")


def _error_page(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    match = re.search(r'id="error-description">([^<]*)<', response.text)
    assert match is not None
    return match.group(1)


async def test_logout_with_hint_redirects_and_ends_sso(http: httpx.AsyncClient, flow: Flow) -> None:
    client, tokens = await _signed_in(flow)
    assert await _sso_pages(flow, client["client_id"]) == []  # SSO: no page at all
    response = await _logout(
        http,
        id_token_hint=tokens["id_token"],
        post_logout_redirect_uri=LOGGED_OUT,
        state="af0ifjsldkj",
    )
    assert response.status_code == 302, response.text
    assert response.headers["location"] == LOGGED_OUT + "?state=af0ifjsldkj"
    assert 'session_id=""' in response.headers["set-cookie"]
    assert "session_id" not in http.cookies
    # the next authorization request asks the user to log in again (consent is remembered)
    assert await _sso_pages(flow, client["client_id"]) == ["login"]
    # the session's online grant is revoked
    assert await userinfo_status(http, tokens["access_token"]) == 401
    refresh = await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))
    assert refresh.status_code == 400


async def test_the_server_side_session_ends(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client, tokens = await _signed_in(flow)
    cookie = http.cookies["session_id"]
    await _logout(http, id_token_hint=tokens["id_token"])
    # replaying the old cookie does not bring the session back
    http.cookies.set("session_id", cookie)
    assert await _sso_pages(flow, client["client_id"]) == ["login"]


async def test_offline_access_grants_survive_logout(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register(scope="openid offline_access")
    tokens = await flow.tokens(await flow.code(client["client_id"], scope="openid offline_access"))
    response = await _logout(http, id_token_hint=tokens["id_token"])
    assert response.status_code == 200
    assert 'id="signed-out"' in response.text
    refresh = await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))
    assert refresh.status_code == 200


async def test_expired_hint_is_accepted(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client, tokens = await _signed_in(flow)
    clock.advance(3600 + 60)  # past the id_token's exp, within the session's lifetime
    response = await _logout(
        http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT
    )
    assert response.status_code == 302
    assert response.headers["location"] == LOGGED_OUT
    assert await _sso_pages(flow, client["client_id"]) == ["login"]


async def test_post_from_the_relying_party(http: httpx.AsyncClient, flow: Flow) -> None:
    client, tokens = await _signed_in(flow)
    response = await http.post(
        END_SESSION,
        data={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGGED_OUT,
            "state": "s1",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == LOGGED_OUT + "?state=s1"
    assert await _sso_pages(flow, client["client_id"]) == ["login"]


@SQLITE_ONLY
@pytest.mark.parametrize(
    "uri",
    [
        LOGGED_OUT + "/",
        LOGGED_OUT.upper(),
        LOGGED_OUT + "?x=1",
        "https://evil.example/",
        REDIRECT_URI,  # a redirect URI is not a post-logout redirect URI
    ],
)
async def test_unregistered_post_logout_redirect_uri(
    http: httpx.AsyncClient, flow: Flow, uri: str
) -> None:
    client, tokens = await _signed_in(flow)
    response = await _logout(http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri)
    assert "does not exactly match" in _error_page(response)
    assert await _sso_pages(flow, client["client_id"]) == []  # still signed in


async def test_redirect_needs_a_known_client(http: httpx.AsyncClient, flow: Flow) -> None:
    client, _ = await _signed_in(flow)
    response = await _logout(http, post_logout_redirect_uri=LOGGED_OUT)
    assert "needs an id_token_hint or client_id" in _error_page(response)
    response = await _logout(http, client_id="nobody", post_logout_redirect_uri=LOGGED_OUT)
    assert "client_id" in _error_page(response)
    assert await _sso_pages(flow, client["client_id"]) == []


async def _bad_hint(case: str, flow: Flow, runtime: Runtime, id_token: str) -> dict[str, str]:
    """The end_session parameters of one of the cases of :func:`test_bad_hints`."""
    claims = jwt.decode(id_token, runtime.keyring.verification_keys()).claims
    if case == "not a JWT":
        return {"id_token_hint": "not-a-jwt"}
    if case == "our kid, another key":
        foreign_key = RSAKey.generate_key(2048, parameters={"kid": runtime.keyring.signing_kid})
        forged = jwt.encode({"alg": "RS256", "kid": foreign_key.kid}, claims, foreign_key)
        return {"id_token_hint": forged}
    if case == "another issuer":
        return {"id_token_hint": runtime.keyring.sign({**claims, "iss": "https://other.example"})}
    assert case == "client_id not an audience"
    other_client = await flow.register(client_name="other")
    return {"id_token_hint": id_token, "client_id": other_client["client_id"]}


BAD_HINTS = [
    ("not a JWT", "not an ID Token issued by this server"),
    ("our kid, another key", "not an ID Token issued by this server"),
    ("another issuer", "not issued by this server"),
    ("client_id not an audience", "client_id is not an audience"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(("case", "needle"), BAD_HINTS, ids=[case for case, _ in BAD_HINTS])
async def test_bad_hints(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, case: str, needle: str
) -> None:
    client, tokens = await _signed_in(flow)
    params = await _bad_hint(case, flow, runtime, tokens["id_token"])
    assert needle in _error_page(await _logout(http, **params))
    assert await _sso_pages(flow, client["client_id"]) == []  # still signed in


async def test_without_hint_the_user_confirms(http: httpx.AsyncClient, flow: Flow) -> None:
    client, _ = await _signed_in(flow)
    page = await _logout(
        http, client_id=client["client_id"], post_logout_redirect_uri=LOGGED_OUT, state="s2"
    )
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    action, fields = hidden_form(page.text)
    assert action == END_SESSION
    assert fields["post_logout_redirect_uri"] == LOGGED_OUT and fields["state"] == "s2"
    # a post without the CSRF token just shows the page again; a wrong one is refused
    again = await http.post(END_SESSION, data={k: v for k, v in fields.items() if k != "csrf"})
    assert again.status_code == 200
    forged = await http.post(END_SESSION, data=fields | {"csrf": "x" * 64})
    assert forged.status_code == 403
    assert await _sso_pages(flow, client["client_id"]) == []
    confirmed = await http.post(END_SESSION, data=fields)
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == LOGGED_OUT + "?state=s2"
    assert await _sso_pages(flow, client["client_id"]) == ["login"]


async def test_bare_logout_page(http: httpx.AsyncClient, flow: Flow) -> None:
    client, _ = await _signed_in(flow)
    page = await http.get(END_SESSION)
    assert page.status_code == 200
    _action, fields = hidden_form(page.text)
    assert set(fields) == {"csrf"}
    done = await http.post(END_SESSION, data=fields)
    assert done.status_code == 200
    assert 'id="signed-out"' in done.text
    assert await _sso_pages(flow, client["client_id"]) == ["login"]


async def test_hint_from_an_older_session_needs_confirmation(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client, first = await _signed_in(flow)
    await _logout(http, id_token_hint=first["id_token"])
    await flow.tokens(await flow.code(client["client_id"]))  # a new login, a new session
    page = await _logout(http, id_token_hint=first["id_token"])
    assert page.status_code == 200
    assert 'id="logout"' in page.text
    assert await _sso_pages(flow, client["client_id"]) == []


async def test_no_session_to_end(http: httpx.AsyncClient, flow: Flow) -> None:
    _client, tokens = await _signed_in(flow)
    http.cookies.clear()
    response = await _logout(
        http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=LOGGED_OUT
    )
    assert response.status_code == 302
    assert "set-cookie" not in response.headers


async def test_redirect_keeps_the_registered_query(http: httpx.AsyncClient, flow: Flow) -> None:
    uri = LOGGED_OUT + "?tenant=7"
    client = await flow.register(post_logout_redirect_uris=[uri])
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    response = await _logout(
        http, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri, state="x y"
    )
    assert response.headers["location"] == uri + "&state=x+y"


@SQLITE_ONLY
async def test_repeated_parameters_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{END_SESSION}?state=a&state=b")
    assert response.status_code == 400
    assert "more than once" in response.text


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("metadata", "needle"),
    [
        ({"post_logout_redirect_uris": ["http://app.example/out"]}, "post_logout_redirect_uris"),
        ({"post_logout_redirect_uris": ["https://app.example/out#x"]}, "fragment"),
        ({"backchannel_logout_uri": "http://app.example/bcl"}, "backchannel_logout_uri"),
        ({"backchannel_logout_uri": ["https://app.example/bcl#x"]}, "fragment"),
        ({"backchannel_logout_uri": "com.example.app:/bcl"}, "https"),
    ],
)
async def test_logout_uris_are_validated(
    http: httpx.AsyncClient, metadata: dict[str, Any], needle: str
) -> None:
    body = {"redirect_uris": ["https://app.example/cb"], **metadata}
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client_metadata"
    assert needle in response.json()["error_description"]


async def test_logout_uris_are_registered(http: httpx.AsyncClient) -> None:
    body = {
        "redirect_uris": ["https://app.example/cb"],
        "post_logout_redirect_uris": ["https://app.example/out"],
        "backchannel_logout_uri": "https://app.example/bcl",
        "backchannel_logout_session_required": True,
    }
    response = await http.post(REGISTER, json=body)
    assert response.status_code == 201, response.text
    client = response.json()
    assert client["post_logout_redirect_uris"] == ["https://app.example/out"]
    assert client["backchannel_logout_uri"] == ["https://app.example/bcl"]
    assert client["backchannel_logout_session_required"] is True


@SQLITE_ONLY
async def test_discovery(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["end_session_endpoint"] == ISSUER + END_SESSION
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True
    assert doc["frontchannel_logout_supported"] is True
    assert doc["frontchannel_logout_session_supported"] is True
