"""Each point of the README's "Where authgate differs from Janssen (on purpose)", checked
over HTTP against the application on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from authgate.runtime import Runtime
from authgate.storage.models import METADATA
from tests.conftest import administer, patch_config
from tests.support import (
    REDIRECT_URI,
    SQLITE_ONLY,
    Browser,
    FakeClock,
    authorize_params,
    flow_registration_body,
    new_verifier,
    s256,
    token_form,
)

TOKEN = "/jans-auth/restv1/token"
USERINFO = "/jans-auth/restv1/userinfo"


async def register(http: httpx.AsyncClient, method: str = "none") -> dict[str, Any]:
    body = flow_registration_body() | {"token_endpoint_auth_method": method}
    response = await http.post("/jans-auth/restv1/register", json=body)
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


async def code_for(
    browser: Browser, client_id: str, verifier: str | None, method: str | None = "S256"
) -> str:
    challenge = None if verifier is None else (s256(verifier) if method == "S256" else verifier)
    result = await browser.authorize(authorize_params(client_id, challenge, method))
    assert "code" in result.params, result.params
    return result.params["code"]


def error_of(response: httpx.Response) -> str:
    assert response.status_code >= 400, response.text
    error: str = response.json()["error"]
    return error


async def userinfo_status(http: httpx.AsyncClient, access_token: str) -> int:
    response = await http.get(USERINFO, headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


@pytest.mark.parametrize("method", ["s256", "S256", "plain", "PLAIN"])
async def test_pkce_methods_match_case_insensitively(
    http: httpx.AsyncClient, browser: Browser, method: str
) -> None:
    client_id = (await register(http))["client_id"]
    verifier = new_verifier(64)
    challenge = s256(verifier) if method.lower() == "s256" else verifier
    result = await browser.authorize(authorize_params(client_id, challenge, method))
    token = await http.post(TOKEN, data=token_form(client_id, result.params["code"], verifier))
    assert token.status_code == 200, token.text


async def test_an_unknown_pkce_method_is_refused_not_treated_as_plain(
    runtime: Runtime, http: httpx.AsyncClient, browser: Browser
) -> None:
    client_id = (await register(http))["client_id"]
    await administer(runtime, client_id)
    verifier = new_verifier(64)
    params = authorize_params(client_id, verifier, "S512")
    result = await browser.authorize(params)
    assert result.location.startswith(REDIRECT_URI + "?")
    assert result.params["error"] == "invalid_request"
    assert "S512" in result.params["error_description"]
    assert result.params["state"] == params["state"]
    assert result.params["iss"] == str(http.base_url).rstrip("/")


@SQLITE_ONLY
@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + " "],
    ids=["42-chars", "129-chars", "plus-sign", "space"],
)
async def test_verifier_syntax_is_enforced(
    http: httpx.AsyncClient, browser: Browser, verifier: str
) -> None:
    client_id = (await register(http))["client_id"]
    code = await code_for(browser, client_id, new_verifier(64))
    response = await http.post(TOKEN, data=token_form(client_id, code, verifier))
    assert error_of(response) == "invalid_request"
    assert "RFC 7636 §4.1" in response.json()["error_description"]


async def test_public_clients_must_send_a_code_challenge_by_default(
    runtime: Runtime, http: httpx.AsyncClient, browser: Browser
) -> None:
    client_id = (await register(http))["client_id"]
    await administer(runtime, client_id)
    refused = await browser.authorize(authorize_params(client_id, None, None))
    assert refused.params["error"] == "invalid_request"
    assert "PKCE is required for public clients" in refused.params["error_description"]

    await patch_config(runtime, requirePkceForPublicClients=False)
    allowed = await browser.authorize(authorize_params(client_id, None, None))
    assert "code" in allowed.params


async def test_plain_can_be_refused_and_discovery_says_so(
    runtime: Runtime, http: httpx.AsyncClient, browser: Browser
) -> None:
    discovery = "/.well-known/openid-configuration"
    assert (await http.get(discovery)).json()["code_challenge_methods_supported"] == [
        "S256",
        "plain",
    ]
    await patch_config(runtime, codeChallengeMethodsSupported=["S256"])
    assert (await http.get(discovery)).json()["code_challenge_methods_supported"] == ["S256"]
    client_id = (await register(http))["client_id"]
    await administer(runtime, client_id)
    verifier = new_verifier(64)
    result = await browser.authorize(authorize_params(client_id, verifier, "plain"))
    assert result.params["error"] == "invalid_request"
    assert "not allowed" in result.params["error_description"]


async def test_a_verifier_for_a_code_issued_without_challenge_is_a_downgrade(
    http: httpx.AsyncClient, browser: Browser
) -> None:
    client = await register(http, "client_secret_basic")
    code = await code_for(browser, client["client_id"], None, None)
    response = await http.post(
        TOKEN,
        data=token_form(client["client_id"], code, new_verifier(64)),
        auth=(client["client_id"], client["client_secret"]),
    )
    assert error_of(response) == "invalid_grant"
    assert "downgrade" in response.json()["error_description"]


async def test_a_code_issued_with_a_challenge_needs_the_verifier(
    http: httpx.AsyncClient, browser: Browser
) -> None:
    client_id = (await register(http))["client_id"]
    code = await code_for(browser, client_id, new_verifier(64))
    response = await http.post(TOKEN, data=token_form(client_id, code, None))
    assert error_of(response) == "invalid_grant"


async def test_redirect_uri_at_the_token_endpoint_must_equal_the_authorize_one(
    http: httpx.AsyncClient, browser: Browser
) -> None:
    client_id = (await register(http))["client_id"]
    verifier = new_verifier(64)
    code = await code_for(browser, client_id, verifier)
    other = REDIRECT_URI + "?x=1"
    response = await http.post(TOKEN, data=token_form(client_id, code, verifier, other))
    assert error_of(response) == "invalid_grant"
    # the failed attempt did not use the code up
    response = await http.post(TOKEN, data=token_form(client_id, code, verifier))
    assert response.status_code == 200, response.text


async def test_only_clients_with_a_secret_get_client_secret_and_its_expiry(
    http: httpx.AsyncClient,
) -> None:
    public = await register(http)
    assert "client_secret" not in public
    assert "client_secret_expires_at" not in public
    confidential = await register(http, "client_secret_basic")
    assert confidential["client_secret"]
    assert confidential["client_secret_expires_at"] == 0  # dynamicRegistrationExpirationTime -1


async def test_a_replayed_code_is_refused_and_revokes_its_tokens(
    http: httpx.AsyncClient, browser: Browser
) -> None:
    client_id = (await register(http))["client_id"]
    verifier = new_verifier(64)
    code = await code_for(browser, client_id, verifier)
    tokens = (await http.post(TOKEN, data=token_form(client_id, code, verifier))).json()
    assert await userinfo_status(http, tokens["access_token"]) == 200

    replay = await http.post(TOKEN, data=token_form(client_id, code, verifier))
    assert error_of(replay) == "invalid_grant"
    assert await userinfo_status(http, tokens["access_token"]) == 401
    refresh = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "refresh_token": tokens["refresh_token"],
    }
    assert error_of(await http.post(TOKEN, data=refresh)) == "invalid_grant"


async def test_concurrent_redemptions_of_one_code_yield_exactly_one_success(
    http: httpx.AsyncClient, browser: Browser
) -> None:
    client_id = (await register(http))["client_id"]
    verifier = new_verifier(64)
    code = await code_for(browser, client_id, verifier)
    form = token_form(client_id, code, verifier)
    responses = await asyncio.gather(*(http.post(TOKEN, data=form) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 400, 400, 400, 400]


async def test_refresh_tokens_rotate_and_reuse_revokes_the_grant(
    http: httpx.AsyncClient, browser: Browser, clock: FakeClock
) -> None:
    client_id = (await register(http))["client_id"]
    verifier = new_verifier(64)
    code = await code_for(browser, client_id, verifier)
    first = (await http.post(TOKEN, data=token_form(client_id, code, verifier))).json()

    def refresh(token: str) -> dict[str, str]:
        return {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": token}

    rotated = await http.post(TOKEN, data=refresh(first["refresh_token"]))
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]

    # within refreshTokenReuseGracePeriod a retry gets the same pair (see
    # tests/web/test_refresh_rotation.py); after it, reuse is theft
    clock.advance(11)
    reuse = await http.post(TOKEN, data=refresh(first["refresh_token"]))
    assert error_of(reuse) == "invalid_grant"
    # the whole grant is gone: the rotated refresh token and its access token too
    assert error_of(await http.post(TOKEN, data=refresh(second["refresh_token"]))) == (
        "invalid_grant"
    )
    assert await userinfo_status(http, second["access_token"]) == 401


async def test_the_database_holds_no_usable_code_token_or_secret(
    runtime: Runtime, http: httpx.AsyncClient, browser: Browser
) -> None:
    client = await register(http, "client_secret_basic")
    code = await code_for(browser, client["client_id"], None, None)
    tokens = (
        await http.post(
            TOKEN,
            data=token_form(client["client_id"], code, None),
            auth=(client["client_id"], client["client_secret"]),
        )
    ).json()
    secrets = {
        "code": code,
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "client_secret": client["client_secret"],
        "registration_access_token": client["registration_access_token"],
    }
    dump: list[str] = []
    for table in METADATA.sorted_tables:
        rows = await runtime.db.fetch_all(select(table), {})
        dump.extend(str(row[column.name]) for row in rows for column in table.columns)
    everything = "\n".join(dump)
    assert client["client_id"] in everything  # the dump is real
    leaked = [name for name, value in secrets.items() if value in everything]
    assert leaked == []
