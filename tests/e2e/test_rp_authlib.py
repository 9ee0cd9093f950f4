"""A real OpenID Connect relying party library (Authlib) against a real ``authgate serve``.

Authlib does what an RP does: it reads discovery, builds the authorization URL with PKCE
(S256), state and nonce, redeems the code, validates the id_token (signature from the JWKS,
``iss``, ``aud``, ``exp``, ``nonce``, ``at_hash``; ``c_hash`` for the hybrid flow), calls
userinfo and refreshes. Registration is a plain RFC 7591 POST (Authlib has no registration
client). The user's part, the login and consent forms, is driven with httpx like a browser
would. Introspection, revocation and logout run when discovery lists their endpoints and
are skipped, saying why, until then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]
from authlib.integrations.starlette_client import (  # type: ignore[import-untyped]
    OAuth,
    StarletteOAuth2App,
)
from authlib.oidc.core import HybridIDToken  # type: ignore[import-untyped]
from joserfc.errors import InvalidClaimError

from tests.e2e.harness import AuthgateServer
from tests.support import hidden_form, new_verifier, s256

REDIRECT_URI = "http://127.0.0.1:8765/rp/callback"
LOGGED_OUT_URI = "http://127.0.0.1:8765/rp/logged-out"
ADMIN = "admin"
SCOPE = "openid profile email"


@dataclass
class Session:
    """A relying party that has signed the user in."""

    app: StarletteOAuth2App
    client: dict[str, Any]
    token: dict[str, Any]
    id_claims: dict[str, Any]
    metadata: dict[str, Any]
    browser: httpx.AsyncClient


def _oauth_client(session: Session) -> AsyncOAuth2Client:
    """Authlib's bare OAuth 2.0 client for the token endpoint's other grants and RFCs."""
    client = session.client
    return AsyncOAuth2Client(
        client_id=client["client_id"],
        client_secret=client.get("client_secret"),
        token_endpoint_auth_method=client["token_endpoint_auth_method"],
        revocation_endpoint_auth_method=client["token_endpoint_auth_method"],
        scope=SCOPE,
        timeout=10.0,
    )


async def _register(issuer: str, auth_method: str, **extra: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as http:
        discovery = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
    body = {
        "client_name": "Authlib RP",
        "application_type": "web",
        "token_endpoint_auth_method": auth_method,
        "scope": SCOPE.split(),
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": [LOGGED_OUT_URI],
        **extra,
    }
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(discovery["registration_endpoint"], json=body)
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def _app(server: AuthgateServer, client: dict[str, Any]) -> StarletteOAuth2App:
    oauth = OAuth()
    oauth.register(
        "authgate",
        client_id=client["client_id"],
        client_secret=client.get("client_secret"),
        server_metadata_url=f"{server.issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": client["token_endpoint_auth_method"],
            "timeout": 10.0,
        },
    )
    app = oauth.create_client("authgate")
    assert isinstance(app, StarletteOAuth2App)
    return app


async def _user_agent(browser: httpx.AsyncClient, url: str, password: str) -> str:
    """Follow the authorization URL through login and consent; the final redirect target."""
    response = await browser.get(url)
    for _ in range(6):
        assert response.status_code in (302, 303), response.text[:300]
        location = response.headers["location"]
        if not location.startswith("/jans-auth/"):
            return location
        page = await browser.get(location)
        assert page.status_code == 200, page.text[:300]
        action, fields = hidden_form(page.text)
        if "login.htm" in location:
            fields |= {"username": ADMIN, "password": password}
        else:
            fields["decision"] = "allow"
        response = await browser.post(action, data=fields)
    raise AssertionError("too many redirects")


async def _sign_in(server: AuthgateServer, auth_method: str) -> Session:
    client = await _register(server.issuer, auth_method)
    app = _app(server, client)
    metadata = dict(await app.load_server_metadata())
    assert metadata["issuer"] == server.issuer
    assert "S256" in metadata["code_challenge_methods_supported"]
    request = await app.create_authorization_url(REDIRECT_URI)
    assert "code_challenge=" in request["url"]
    browser = httpx.AsyncClient(base_url=server.issuer, timeout=10)
    location = await _user_agent(browser, request["url"], server.admin_password)
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert location.startswith(REDIRECT_URI + "?")
    assert params["state"] == request["state"]
    assert params["iss"] == metadata["issuer"]  # RFC 9207 mix-up defence
    token = dict(
        await app.fetch_access_token(
            redirect_uri=REDIRECT_URI,
            code=params["code"],
            code_verifier=request["code_verifier"],
        )
    )
    claims = dict(await app.parse_id_token(token, nonce=request["nonce"]))
    return Session(app, client, token, claims, metadata, browser)


@pytest.fixture(params=["none", "client_secret_basic"])
async def signed_in(
    request: pytest.FixtureRequest, authgate_server: AuthgateServer
) -> AsyncIterator[Session]:
    session = await _sign_in(authgate_server, str(request.param))
    try:
        yield session
    finally:
        await session.browser.aclose()


async def test_code_flow_with_pkce_userinfo_and_refresh(signed_in: Session) -> None:
    session = signed_in
    token, claims = session.token, session.id_claims
    assert token["token_type"].lower() == "bearer"
    assert 290 <= token["expires_in"] <= 300
    assert "refresh_token" in token
    assert claims["aud"] == session.client["client_id"]
    assert claims["auth_time"] <= claims["iat"]
    assert "at_hash" in claims
    info = dict(await session.app.userinfo(token=token))
    assert info["sub"] == claims["sub"]
    assert info["preferred_username"] == ADMIN
    async with _oauth_client(session) as oauth:
        refreshed = dict(
            await oauth.refresh_token(
                session.metadata["token_endpoint"], refresh_token=token["refresh_token"]
            )
        )
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] != token["refresh_token"]
        again = dict(await session.app.parse_id_token(refreshed, nonce=None))
        assert again["sub"] == claims["sub"]
        assert again["auth_time"] == claims["auth_time"]
        assert dict(await session.app.userinfo(token=refreshed))["sub"] == claims["sub"]
        # the old refresh token was rotated away; presenting it again within
        # refreshTokenReuseGracePeriod (a retry) gets the same pair, later it revokes the grant
        # (tests/web/test_refresh_rotation.py)
        retried = dict(
            await oauth.refresh_token(
                session.metadata["token_endpoint"], refresh_token=token["refresh_token"]
            )
        )
        assert retried["access_token"] == refreshed["access_token"]
        assert retried["refresh_token"] == refreshed["refresh_token"]


async def test_hybrid_code_id_token(authgate_server: AuthgateServer) -> None:
    """Authlib validates c_hash and the nonce of an id_token from the authorization
    endpoint, then redeems the code."""
    client = await _register(
        authgate_server.issuer,
        "none",
        response_types=["code", "id_token"],
        grant_types=["authorization_code", "implicit", "refresh_token"],
    )
    app = _app(authgate_server, client)
    # Authlib adds the PKCE challenge only for response_type=code; pass it ourselves.
    verifier = new_verifier()
    request = await app.create_authorization_url(
        REDIRECT_URI,
        response_type="code id_token",
        code_verifier=verifier,
        code_challenge=s256(verifier),
        code_challenge_method="S256",
    )
    async with httpx.AsyncClient(base_url=authgate_server.issuer, timeout=10) as browser:
        location = await _user_agent(browser, request["url"], authgate_server.admin_password)
    fragment = {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}
    assert fragment["state"] == request["state"]
    claims = dict(
        await app.parse_id_token(
            {"id_token": fragment["id_token"], "code": fragment["code"]},
            nonce=request["nonce"],
            claims_cls=_hybrid_claims(fragment["code"]),
        )
    )
    assert claims["c_hash"]
    with pytest.raises(InvalidClaimError, match="c_hash"):  # the check is really made
        await app.parse_id_token(
            {"id_token": fragment["id_token"]},
            nonce=request["nonce"],
            claims_cls=_hybrid_claims("another-code"),
        )
    token = dict(
        await app.fetch_access_token(
            redirect_uri=REDIRECT_URI,
            code=fragment["code"],
            code_verifier=request["code_verifier"],
        )
    )
    assert dict(await app.parse_id_token(token, nonce=request["nonce"]))["sub"] == claims["sub"]


def _hybrid_claims(code: str) -> type[HybridIDToken]:
    """HybridIDToken checks c_hash against ``params["code"]``; Authlib's parse_id_token
    passes only nonce and client_id, so bind the code here."""

    class Bound(HybridIDToken):  # type: ignore[misc]
        def validate_c_hash(self) -> None:
            self.params["code"] = code
            super().validate_c_hash()

    return Bound


def _require(session: Session, member: str, what: str) -> str:
    url = session.metadata.get(member)
    assert url, f"discovery must advertise {member} ({what})"
    return str(url)


async def test_introspection(signed_in: Session) -> None:
    url = _require(signed_in, "introspection_endpoint", "token introspection (RFC 7662)")
    async with _oauth_client(signed_in) as oauth:
        response = await oauth.introspect_token(
            url, token=signed_in.token["access_token"], token_type_hint="access_token"
        )
        if signed_in.client["token_endpoint_auth_method"] == "none":
            # only authenticated clients may introspect (docs/specifications.md)
            assert response.status_code == 401, response.text
            assert response.json()["error"] == "invalid_client"
            return
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["active"] is True
        assert body["client_id"] == signed_in.client["client_id"]
        bogus = await oauth.introspect_token(url, token="not-a-token")
        assert bogus.json() == {"active": False}


async def test_revocation(signed_in: Session) -> None:
    url = _require(signed_in, "revocation_endpoint", "token revocation (RFC 7009)")
    async with _oauth_client(signed_in) as oauth:
        response = await oauth.revoke_token(
            url, token=signed_in.token["refresh_token"], token_type_hint="refresh_token"
        )
        assert response.status_code == 200, response.text
        with pytest.raises(OAuthError, match="invalid_grant"):
            await oauth.refresh_token(
                signed_in.metadata["token_endpoint"],
                refresh_token=signed_in.token["refresh_token"],
            )


async def test_rp_initiated_logout(signed_in: Session) -> None:
    _require(signed_in, "end_session_endpoint", "RP-initiated logout")
    logout = await signed_in.app.create_logout_url(
        post_logout_redirect_uri=LOGGED_OUT_URI, id_token_hint=signed_in.token["id_token"]
    )
    response = await signed_in.browser.get(logout["url"])
    for _ in range(3):  # a confirmation page or a front-channel step may come first
        if response.status_code in (302, 303) and response.headers["location"].startswith(
            LOGGED_OUT_URI
        ):
            break
        if response.status_code in (302, 303):
            response = await signed_in.browser.get(response.headers["location"])
        else:
            action, fields = hidden_form(response.text)
            response = await signed_in.browser.post(action, data=fields)
    location = response.headers["location"]
    assert location.startswith(LOGGED_OUT_URI)
    assert parse_qs(urlsplit(location).query)["state"] == [logout["state"]]
    # the browser's session is gone: a silent request now needs a login
    request = await signed_in.app.create_authorization_url(REDIRECT_URI, prompt="none")
    silent = await signed_in.browser.get(request["url"])
    assert parse_qs(urlsplit(silent.headers["location"]).query)["error"] == ["login_required"]
