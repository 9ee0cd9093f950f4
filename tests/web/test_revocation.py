"""Token revocation (RFC 7009): public and confidential clients, refresh tokens revoke their
grant, unknown tokens are fine, foreign tokens and bad credentials are refused."""

from __future__ import annotations

import httpx
import pytest

from tests.lifecycle import (
    REVOKE,
    basic,
    confidential_tokens,
    public_tokens,
    refresh_form,
    userinfo_status,
)
from tests.support import FakeClock, Flow


async def test_public_client_revokes_its_refresh_token_and_the_grant(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client, tokens = await public_tokens(flow)
    response = await http.post(
        REVOKE,
        data={
            "token": tokens["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": client["client_id"],
        },
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    refresh = await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"
    # the grant's access token went with it
    assert await userinfo_status(http, tokens["access_token"]) == 401


async def test_revoking_an_access_token_keeps_the_refresh_token(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client, tokens = await public_tokens(flow)
    response = await http.post(
        REVOKE, data={"token": tokens["access_token"], "client_id": client["client_id"]}
    )
    assert response.status_code == 200
    assert await userinfo_status(http, tokens["access_token"]) == 401
    refresh = await flow.token(refresh_form(client["client_id"], tokens["refresh_token"]))
    assert refresh.status_code == 200
    assert await userinfo_status(http, refresh.json()["access_token"]) == 200


@pytest.mark.parametrize("hint", ["access_token", "something_else"])
async def test_wrong_hint_is_ignored(http: httpx.AsyncClient, flow: Flow, hint: str) -> None:
    client, tokens = await public_tokens(flow)
    response = await http.post(
        REVOKE,
        data={
            "token": tokens["refresh_token"],
            "token_type_hint": hint,
            "client_id": client["client_id"],
        },
    )
    assert response.status_code == 200
    assert await userinfo_status(http, tokens["access_token"]) == 401


async def test_unknown_expired_and_revoked_tokens_are_not_errors(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client, tokens = await public_tokens(flow)
    data = {"client_id": client["client_id"]}
    assert (await http.post(REVOKE, data=data | {"token": "no-such-token"})).status_code == 200
    clock.advance(301)
    expired = data | {"token": tokens["access_token"]}
    assert (await http.post(REVOKE, data=expired)).status_code == 200
    assert (await http.post(REVOKE, data=expired)).status_code == 200


async def test_confidential_client_must_authenticate(http: httpx.AsyncClient, flow: Flow) -> None:
    client, tokens = await confidential_tokens(flow)
    data = {"token": tokens["refresh_token"], "client_id": client["client_id"]}
    unauthenticated = await http.post(REVOKE, data=data)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "invalid_client"
    wrong = await http.post(REVOKE, data=data, headers=basic(client["client_id"], "wrong"))
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == 'Basic realm="jans-auth"'
    # the failed attempts revoked nothing
    assert await userinfo_status(http, tokens["access_token"]) == 200
    ok = await http.post(
        REVOKE, data=data, headers=basic(client["client_id"], client["client_secret"])
    )
    assert ok.status_code == 200
    assert await userinfo_status(http, tokens["access_token"]) == 401


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
async def test_token_of_another_client_is_refused_and_kept(
    http: httpx.AsyncClient, flow: Flow, kind: str
) -> None:
    victim, tokens = await public_tokens(flow)
    attacker = await flow.register(client_name="attacker")
    response = await http.post(
        REVOKE, data={"token": tokens[kind], "client_id": attacker["client_id"]}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert await userinfo_status(http, tokens["access_token"]) == 200
    refresh = await flow.token(refresh_form(victim["client_id"], tokens["refresh_token"]))
    assert refresh.status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"token": "x"}, 401, "invalid_client"),
        ({"token": "x", "client_id": "nobody"}, 401, "invalid_client"),
        ({"client_id": "{client_id}"}, 400, "invalid_request"),
    ],
)
async def test_malformed_requests(
    http: httpx.AsyncClient, flow: Flow, data: dict[str, str], status: int, error: str
) -> None:
    client = await flow.register()
    data = {k: v.format(client_id=client["client_id"]) for k, v in data.items()}
    response = await http.post(REVOKE, data=data)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


async def test_wrong_method_and_content_type(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    assert (await http.get(REVOKE)).status_code == 405
    as_json = await http.post(REVOKE, json={"token": "x", "client_id": client["client_id"]})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
