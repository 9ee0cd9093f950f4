"""Values the contract tests store: a fixed clock and small builders with sensible defaults."""

from __future__ import annotations

from typing import Any

from authgate.core.types import (
    AuthorizationCode,
    AuthorizationRequest,
    Client,
    ClientMetadata,
    Interaction,
    LoginSession,
    TokenRecord,
    User,
)

#: "Now" for every test; never the wall clock.
NOW = 1_700_000_000.0
REDIRECT = "https://app.example/cb"


def client(client_id: str = "app-1", **metadata: Any) -> Client:
    fields: dict[str, Any] = {
        "redirect_uris": (REDIRECT,),
        "client_name": f"Client {client_id}",
        "scope": ("openid", "email"),
    }
    return Client(
        client_id=client_id,
        metadata=ClientMetadata(**(fields | metadata)),
        client_id_issued_at=int(NOW),
        secret_hash="ab" * 32,
    )


def user(user_id: str = "u-1", username: str | None = None, **fields: Any) -> User:
    return User(
        user_id=user_id,
        username=username or f"name-{user_id}",
        password_hash="$argon2id$not-a-real-hash",
        created_at=int(NOW),
        **fields,
    )


def session(
    session_hash: str = "sh-1", user_id: str = "u-1", sid: str | None = None, **fields: Any
) -> LoginSession:
    return LoginSession(
        session_hash=session_hash,
        sid=sid or f"sid-{session_hash}",
        user_id=user_id,
        auth_time=int(NOW) - 60,
        expires_at=int(NOW) + 3600,
        acr="simple_password_auth",
        amr=("pwd", "otp"),
        **fields,
    )


def request(client_id: str = "app-1") -> AuthorizationRequest:
    return AuthorizationRequest(
        client_id=client_id,
        redirect_uri=REDIRECT,
        redirect_uri_given=True,
        response_type="code",
        scope=("openid", "email"),
        state="st",
        nonce="n-0",
        prompt=frozenset({"login", "consent"}),
        max_age=300,
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
        login_hint="alice",
        acr_values=("simple_password_auth",),
        dpop_jkt="0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
    )


def interaction(interaction_id: str = "ix-1", **fields: Any) -> Interaction:
    values: dict[str, Any] = {
        "interaction_id": interaction_id,
        "browser_hash": "bh-1",
        "csrf_token": "csrf-1",
        "request": request(),
        "expires_at": int(NOW) + 600,
        "created_at": int(NOW),
    }
    return Interaction(**(values | fields))


def code(code_hash: str = "code-1", **fields: Any) -> AuthorizationCode:
    values: dict[str, Any] = {
        "code_hash": code_hash,
        "grant_id": f"grant-{code_hash}",
        "client_id": "app-1",
        "user_id": "u-1",
        "redirect_uri": REDIRECT,
        "redirect_uri_given": True,
        "scope": ("openid", "email"),
        "issued_at": NOW,
        "expires_at": NOW + 60,
        "auth_time": int(NOW) - 60,
        "sid": "sid-1",
        "acr": "simple_password_auth",
        "amr": ("pwd",),
        "nonce": "n-0",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    return AuthorizationCode(**(values | fields))


def token(token_hash: str, grant_id: str = "grant-1", **fields: Any) -> TokenRecord:
    """An access token of ``grant_id``; ``kind="refresh_token"`` for a refresh token."""
    values: dict[str, Any] = {
        "token_hash": token_hash,
        "kind": "access_token",
        "grant_id": grant_id,
        "client_id": "app-1",
        "user_id": "u-1",
        "scope": ("openid", "email"),
        "issued_at": NOW,
        "expires_at": NOW + 3600,
        "auth_time": int(NOW) - 60,
        "sid": "sid-1",
        "acr": "simple_password_auth",
        "amr": ("pwd",),
    }
    return TokenRecord(**(values | fields))


def refresh(token_hash: str, grant_id: str = "grant-1", **fields: Any) -> TokenRecord:
    values: dict[str, Any] = {"grant_expires_at": NOW + 86_400, "expires_at": NOW + 14_400}
    return token(token_hash, grant_id, kind="refresh_token", **(values | fields))
