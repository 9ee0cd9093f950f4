"""DPoP-bound tokens in use: userinfo (RFC 9449 §7), refresh (§5), several instances (§11.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from authgate.crypto.handles import handle_hash
from authgate.runtime import Runtime
from authgate.storage.connect import open_database
from authgate.storage.janitor import purge_expired
from authgate.storage.replay import SqlReplayCache
from authgate.web.app import create_app
from tests.conftest import patch_config
from tests.dpop_support import USERINFO_URL, DPoPKey
from tests.support import ISSUER, SQLITE_ONLY, FakeClock, Flow, fast_hasher, token_form

USERINFO = "/jans-auth/restv1/userinfo"


async def _tokens(flow: Flow, key: DPoPKey | None, **register: Any) -> dict[str, Any]:
    client = await flow.register(**register)
    issued = await flow.code(client["client_id"])
    headers = {"DPoP": key.proof()} if key else {}
    response = await flow.token(
        token_form(issued.client_id, issued.code, issued.verifier), headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json() | {"client_id": client["client_id"]}
    if "client_secret" in client:
        body["client_secret"] = client["client_secret"]
    return body


def _refresh(tokens: dict[str, Any]) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": tokens["client_id"],
    }


async def test_userinfo_checks_the_binding(
    flow: Flow, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    key, other = DPoPKey(now=clock.now), DPoPKey(now=clock.now)
    access = (await _tokens(flow, key))["access_token"]

    async def call(headers: dict[str, str]) -> httpx.Response:
        return await http.get(USERINFO, headers=headers)

    as_bearer = await call({"Authorization": f"Bearer {access}"})
    assert as_bearer.status_code == 401
    assert as_bearer.json()["error"] == "invalid_token"
    no_proof = await call({"Authorization": f"DPoP {access}"})
    assert no_proof.status_code == 401
    assert no_proof.json()["error"] == "invalid_dpop_proof"
    assert no_proof.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')
    assert 'algs="ES256 PS256 RS256 Ed25519"' in no_proof.headers["WWW-Authenticate"]
    wrong_key = other.proof("GET", USERINFO_URL, access_token=access)
    response = await call({"Authorization": f"DPoP {access}", "DPoP": wrong_key})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith('DPoP error="invalid_token"')
    proof = key.proof("GET", USERINFO_URL, access_token=access)
    assert (await call({"Authorization": f"DPoP {access}", "DPoP": proof})).status_code == 200
    replayed = await call({"Authorization": f"DPoP {access}", "DPoP": proof})
    assert replayed.status_code == 401
    assert "replay" in replayed.json()["error_description"]


MISMATCHED_PROOFS: dict[str, Callable[[DPoPKey, str], str]] = {
    "no ath": lambda key, _access: key.proof("GET", USERINFO_URL),
    "ath of another token": lambda key, _access: key.proof(
        "GET", USERINFO_URL, access_token="x" * 43
    ),
    "token endpoint htu": lambda key, access: key.proof("GET", access_token=access),
    "wrong htm": lambda key, access: key.proof("POST", USERINFO_URL, access_token=access),
}


@SQLITE_ONLY
@pytest.mark.parametrize("case", list(MISMATCHED_PROOFS))
async def test_userinfo_refuses_a_proof_for_another_request(
    flow: Flow, http: httpx.AsyncClient, clock: FakeClock, case: str
) -> None:
    key = DPoPKey(now=clock.now)
    access = (await _tokens(flow, key))["access_token"]
    proof = MISMATCHED_PROOFS[case](key, access)
    response = await http.get(USERINFO, headers={"Authorization": f"DPoP {access}", "DPoP": proof})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_dpop_proof"


async def test_bearer_token_cannot_use_dpop_scheme(
    flow: Flow, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    access = (await _tokens(flow, None))["access_token"]
    headers = {
        "Authorization": f"DPoP {access}",
        "DPoP": key.proof("GET", USERINFO_URL, access_token=access),
    }
    response = await http.get(USERINFO, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_userinfo_nonce(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    access = (await _tokens(flow, key))["access_token"]
    await patch_config(runtime, dpopUseNonce=True)
    headers = {"Authorization": f"DPoP {access}"}
    first = await http.get(
        USERINFO, headers=headers | {"DPoP": key.proof("GET", USERINFO_URL, access_token=access)}
    )
    assert first.status_code == 401
    assert first.headers["WWW-Authenticate"].startswith('DPoP error="use_dpop_nonce"')
    nonce = first.headers["DPoP-Nonce"]
    proof = key.proof("GET", USERINFO_URL, access_token=access, nonce=nonce)
    assert (await http.get(USERINFO, headers=headers | {"DPoP": proof})).status_code == 200


async def test_public_refresh_token_is_bound_and_not_rotated(flow: Flow, clock: FakeClock) -> None:
    key, other = DPoPKey(now=clock.now), DPoPKey(now=clock.now)
    tokens = await _tokens(flow, key)
    form = _refresh(tokens)
    for headers in ({}, {"DPoP": other.proof()}):
        refused = await flow.token(form, headers=headers)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"
        assert "DPoP" in refused.json()["error_description"]
    for _ in range(2):  # the same refresh token keeps working: no rotation
        clock.advance(1)
        response = await flow.token(form, headers={"DPoP": key.proof()})
        assert response.status_code == 200, response.text
        assert response.json()["token_type"] == "DPoP"
        assert "refresh_token" not in response.json()


async def test_revoked_grant_stops_unrotated_refresh(
    flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    tokens = await _tokens(flow, key)
    record = await runtime.services.grants.get_token(handle_hash(tokens["refresh_token"]))
    assert record is not None and record.jkt == key.jkt
    await runtime.services.grants.revoke_grant(record.grant_id, clock.now())
    response = await flow.token(_refresh(tokens), headers={"DPoP": key.proof()})
    assert response.json()["error"] == "invalid_grant"


async def test_confidential_refresh_token_rotates_and_is_not_key_bound(
    flow: Flow, clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    client = await flow.register(token_endpoint_auth_method="client_secret_post")
    issued = await flow.code(client["client_id"])
    form = token_form(issued.client_id, issued.code, issued.verifier)
    form["client_secret"] = client["client_secret"]
    tokens = (await flow.token(form, headers={"DPoP": key.proof()})).json()
    assert tokens["token_type"] == "DPoP"
    refresh = _refresh(tokens | {"client_id": client["client_id"]})
    refresh["client_secret"] = client["client_secret"]
    response = await flow.token(refresh)  # bound to the client's credentials, not the key
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    assert response.json()["refresh_token"] != tokens["refresh_token"]


async def test_unbound_public_refresh_token_gets_bound(flow: Flow, clock: FakeClock) -> None:
    key = DPoPKey(now=clock.now)
    tokens = await _tokens(flow, None)
    response = await flow.token(_refresh(tokens), headers={"DPoP": key.proof()})
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["token_type"] == "DPoP"
    again = await flow.token(_refresh(tokens | rotated))
    assert again.json()["error"] == "invalid_grant"  # now bound: needs the key


@pytest.fixture
async def second_instance(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """Another server on the same database (as behind a load balancer)."""
    other = await Runtime.start(
        runtime.settings,
        migrate=False,
        passwords=fast_hasher(),
        clock=runtime.services.clock,
        poll=False,
    )
    app = create_app(other.settings, other)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER) as c:
        yield c
    await other.stop()


async def test_replay_to_another_instance_is_refused(
    flow: Flow, second_instance: httpx.AsyncClient, clock: FakeClock
) -> None:
    key = DPoPKey(now=clock.now)
    tokens = await _tokens(flow, key)
    proof = key.proof()
    first = await flow.token(_refresh(tokens), headers={"DPoP": proof})
    assert first.status_code == 200
    replay = await second_instance.post(
        "/jans-auth/restv1/token", data=_refresh(tokens), headers={"DPoP": proof}
    )
    assert replay.status_code == 400
    assert "replay" in replay.json()["error_description"]


async def test_replay_cache_window_and_purge(runtime: Runtime) -> None:
    db = await open_database(runtime.settings.database)
    try:
        cache, other = SqlReplayCache(db), SqlReplayCache(db)
        assert await cache.remember("k1", expires_at=100.0, now=50.0)
        assert not await cache.remember("k1", expires_at=100.0, now=60.0)  # in-process path
        assert not await other.remember("k1", expires_at=100.0, now=60.0)  # database path
        assert await other.remember("k1", expires_at=200.0, now=100.0)  # window over
        assert (await purge_expired(db, now=300.0))["dpop_jtis"] == 1
        assert await SqlReplayCache(db).remember("k1", expires_at=400.0, now=300.0)
    finally:
        await db.close()


async def test_introspection_reports_the_binding(
    flow: Flow, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    """RFC 9449 §6.2: a resource server learns the key a token is bound to."""
    key = DPoPKey(now=clock.now)
    client = await flow.register(token_endpoint_auth_method="client_secret_post")
    creds = {"client_id": client["client_id"], "client_secret": client["client_secret"]}

    async def tokens(dpop: DPoPKey | None) -> dict[str, Any]:
        issued = await flow.code(client["client_id"])
        form = token_form(issued.client_id, issued.code, issued.verifier)
        headers = {"DPoP": dpop.proof()} if dpop else {}
        response = await flow.token(
            form | {"client_secret": client["client_secret"]}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    bound = await http.post(
        "/jans-auth/restv1/introspection",
        data={"token": (await tokens(key))["access_token"]} | creds,
    )
    assert bound.status_code == 200
    assert bound.json()["active"] is True
    assert bound.json()["token_type"] == "DPoP"
    assert bound.json()["cnf"] == {"jkt": key.jkt}
    unbound = await http.post(
        "/jans-auth/restv1/introspection",
        data={"token": (await tokens(None))["access_token"]} | creds,
    )
    assert unbound.json()["token_type"] == "Bearer"
    assert "cnf" not in unbound.json()
