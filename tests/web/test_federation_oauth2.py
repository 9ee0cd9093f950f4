"""A plain OAuth 2.0 provider in GitHub's shape (token endpoint, then a user API returning
JSON, no id_token) through the github preset's mapping, against a real local HTTP server
playing the provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from authgate.admin.context import Actor
from authgate.admin.federation_schemas import ProviderIn
from authgate.assembly import admin_service
from authgate.runtime import Runtime
from tests.federation_upstream import Upstream
from tests.receiver import Reply
from tests.support import Flow, IssuedCode
from tests.web.test_federation import back, claims_of, finish, go_upstream, settings

__all__ = ["settings"]


@pytest.fixture
async def github() -> AsyncIterator[Upstream]:
    async with Upstream() as up:
        up.replies["/login/oauth/access_token"] = Reply.json(
            {"access_token": "gho_upstream", "token_type": "bearer", "scope": "read:user"}
        )
        up.replies["/user"] = Reply.json(
            {"id": 583231, "login": "octocat", "name": "The Octocat", "email": "octo@gh.example"}
        )
        yield up


async def test_a_github_shaped_provider_signs_in_through_the_mapping(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, github: Upstream
) -> None:
    body: dict[str, Any] = {
        "alias": "corp",  # the helpers of test_federation use this alias
        "preset": "github",
        "client_id": "gh-client",
        "client_secret": "gh-client-secret-1",
        "authorization_endpoint": f"{github.issuer}/login/oauth/authorize",
        "token_endpoint": f"{github.issuer}/login/oauth/access_token",
        "userinfo_endpoint": f"{github.issuer}/user",
    }
    provider = await admin_service(runtime).federation.create(ProviderIn(**body), Actor("t"))
    assert provider.kind == "oauth2" and provider.mapping["sub"] == "id"
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    assert "nonce" not in up.query and up.query["scope"] == "read:user user:email"
    result = await finish(http, await back(http, code="gh-code", state=up.state))
    user = await runtime.services.users.get_by_username("octocat")
    assert user is not None and user.name == "The Octocat" and user.email == "octo@gh.example"
    assert not user.email_verified  # GitHub's user API does not say the email is verified
    fed = runtime.services.federation
    assert fed is not None and (await fed.store.identity("corp", "583231")) is not None
    token_request = next(r for r in github.requests if r.path == "/login/oauth/access_token")
    assert b"client_secret=gh-client-secret-1" in token_request.body  # client_secret_post
    assert token_request.headers["accept"] == "application/json"
    user_request = next(r for r in github.requests if r.path == "/user")
    assert user_request.headers["authorization"] == "Bearer gho_upstream"
    tokens = await flow.tokens(
        IssuedCode(result["code"], up.issued.verifier, up.issued.params, client["client_id"])
    )
    claims = claims_of(tokens["id_token"])
    assert claims["amr"] == ["fed"] and claims["idp"] == "corp"
    audit = await admin_service(runtime).audit.list(limit=5)
    entries = [(a.entry.before, a.entry.after) for a in audit]
    assert any(after and after.get("alias") == "corp" for _, after in entries)
    assert b"gh-client-secret-1" not in orjson.dumps(entries)


async def test_a_user_api_without_the_mapped_subject_is_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, github: Upstream
) -> None:
    github.replies["/user"] = Reply.json({"login": "no-id"})
    body: dict[str, Any] = {
        "alias": "corp",
        "preset": "github",
        "client_id": "gh-client",
        "client_secret": "gh-client-secret-1",
        "authorization_endpoint": f"{github.issuer}/a",
        "token_endpoint": f"{github.issuer}/login/oauth/access_token",
        "userinfo_endpoint": f"{github.issuer}/user",
    }
    await admin_service(runtime).federation.create(ProviderIn(**body), Actor("t"))
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    response = await back(http, code="c", state=up.state)
    assert response.status_code == 400 and 'data-code="no_subject"' in response.text
