"""Helpers for the token lifecycle tests: refresh requests, client authentication headers,
and tokens for a confidential client."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tests.support import Flow, token_form

TOKEN = "/jans-auth/restv1/token"
USERINFO = "/jans-auth/restv1/userinfo"
REVOKE = "/jans-auth/restv1/revoke"
INTROSPECTION = "/jans-auth/restv1/introspection"
END_SESSION = "/jans-auth/restv1/end_session"
REGISTER = "/jans-auth/restv1/register"


def refresh_form(client_id: str, refresh_token: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        **extra,
    }


def basic(client_id: str, secret: str) -> dict[str, str]:
    """``Authorization: Basic`` for a client (RFC 6749 §2.3.1)."""
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def userinfo_status(http: httpx.AsyncClient, access_token: str) -> int:
    return (await http.get(USERINFO, headers=bearer(access_token))).status_code


async def confidential_tokens(
    flow: Flow, **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register a client_secret_basic client and run the code flow; (registration, tokens)."""
    client = await flow.register(token_endpoint_auth_method="client_secret_basic", **overrides)
    issued = await flow.code(client["client_id"])
    response = await flow.token(
        token_form(client["client_id"], issued.code, issued.verifier),
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return client, tokens


async def public_tokens(flow: Flow, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register the flow document's public client and run the code flow."""
    client = await flow.register(**overrides)
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    return client, tokens
