"""Signing keys (/config/jwks), sessions (/jans-auth-server/session) and the audit log."""

from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.admin import paths
from authgate.admin.redact import REDACTED
from authgate.admin.scopes import AUDIT_READ, KEYS_READ, KEYS_WRITE, SESSIONS_READ
from authgate.runtime import Runtime
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api, sign_in
from tests.support import Browser, FakeClock

JWKS = "/jans-auth/restv1/jwks"


async def _jwks(http: httpx.AsyncClient) -> KeySet:
    return KeySet.import_key_set((await http.get(JWKS)).json())


def _statuses(keys: list[dict[str, str]]) -> dict[str, str]:
    return {k["kid"]: k["status"] for k in keys}


async def test_rotation_publishes_before_signing_and_keeps_old_tokens_verifiable(
    api: Api, http: httpx.AsyncClient, browser: Browser, clock: FakeClock
) -> None:
    before = await sign_in(http, browser)
    old_kid = jwt.decode(before["id_token"], await _jwks(http)).header["kid"]
    keys = (await api.get(paths.KEYS)).json()
    old = {k["alg"]: k["kid"] for k in keys}
    assert old["RS256"] == old_kid
    assert set(_statuses(keys).values()) == {"signing"}  # one key per algorithm
    assert '"d"' not in str(keys) and "private" not in str(keys).lower()

    rotated = await api.post(paths.KEYS_ROTATE)
    assert rotated.status_code == 201, rotated.text
    successors = {k["alg"]: k for k in rotated.json()["keys"]}
    assert set(successors) == set(old)
    rs256 = successors["RS256"]
    assert rs256["retiring"] == [old_kid]
    assert rs256["signs_from"] > clock.now()  # published first, signs later
    assert rs256["retire_at"] >= rs256["signs_from"] + 3600
    statuses = _statuses((await api.get(paths.KEYS)).json())
    assert statuses[old_kid] == "signing" and statuses[rs256["kid"]] == "next"
    published = {k["kid"] for k in (await http.get(JWKS)).json()["keys"]}
    assert {old_kid, rs256["kid"]} <= published
    again = await api.post(paths.KEYS_ROTATE)
    assert again.status_code == 409  # successors are already waiting

    clock.advance(rs256["signs_from"] - clock.now())
    after = await sign_in(http, browser)
    jwks = await _jwks(http)
    assert jwt.decode(after["id_token"], jwks).header["kid"] == rs256["kid"]
    # the id_token signed before the rotation still verifies against the published JWKS
    assert jwt.decode(before["id_token"], jwks).header["kid"] == old_kid
    statuses = _statuses((await api.get(paths.KEYS)).json())
    assert statuses[old_kid] == "retiring" and statuses[rs256["kid"]] == "signing"


async def test_the_old_key_leaves_the_jwks_and_the_next_rotation_removes_it(
    api: Api, http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock, token_for: TokenFactory
) -> None:
    first = {k["alg"]: k for k in (await api.post(paths.KEYS_ROTATE)).json()["keys"]}["RS256"]
    clock.advance(first["retire_at"] - clock.now() + 1)
    fresh = Api(http, await token_for(KEYS_READ, KEYS_WRITE))
    statuses = _statuses((await fresh.get(paths.KEYS)).json())
    assert statuses[first["retiring"][0]] == "retired"
    assert statuses[first["kid"]] == "signing"
    published = {k["kid"] for k in (await http.get(JWKS)).json()["keys"]}
    assert first["kid"] in published and first["retiring"][0] not in published
    second = (await fresh.post(paths.KEYS_ROTATE)).json()
    assert set(first["retiring"]) <= set(second["removed"])
    rs256 = {k["alg"]: k for k in second["keys"]}["RS256"]
    assert rs256["retiring"] == [first["kid"]]
    kids = set(_statuses((await fresh.get(paths.KEYS)).json()))
    assert first["retiring"][0] not in kids and {first["kid"], rs256["kid"]} <= kids
    assert runtime.keyring.signing_kid == first["kid"]


async def test_sessions_list_and_revoke(
    api: Api, http: httpx.AsyncClient, browser: Browser
) -> None:
    tokens = await sign_in(http, browser)
    sessions = (await api.get(paths.SESSIONS)).json()
    assert len(sessions) == 1
    session = sessions[0]
    assert session["username"] == "alice"
    assert set(session) == {"sid", "user_id", "username", "auth_time", "expires_at", "acr", "amr"}
    assert (await api.delete(f"{paths.SESSIONS}/{session['sid']}")).status_code == 204
    assert (await api.get(paths.SESSIONS)).json() == []
    assert (await api.delete(f"{paths.SESSIONS}/{session['sid']}")).status_code == 404
    userinfo = await http.get(
        "/jans-auth/restv1/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert userinfo.status_code == 401
    # the browser's session is gone: the next authorization asks for a login again
    again = await sign_in(http, browser)
    assert again["access_token"]


async def test_audit_log_records_who_what_and_redacts_secrets(api: Api, runtime: Runtime) -> None:
    created = await api.post(
        "/jans-config-api/api/v1/openid/clients",
        {"client_name": "svc", "grant_types": ["client_credentials"], "response_types": []},
    )
    assert created.status_code == 201
    await api.patch_config([
        {"op": "replace", "path": "/pairwiseCalculationKey", "value": "k" * 32},
        {"op": "replace", "path": "/requirePkce", "value": True},
    ])  # fmt: skip
    await api.post(paths.USERS, {"username": "dave", "password": "a long password"})
    entries = (await api.get(paths.AUDIT)).json()
    bootstrap = entries.pop()
    assert bootstrap["action"] == "admin.bootstrap"
    assert bootstrap["actor"] == "system:bootstrap"
    assert bootstrap["target_id"] == runtime.first_start.admin_client_id
    assert [e["action"] for e in entries] == ["user.create", "config.patch", "client.create"]
    actor = f"client:{runtime.first_start.admin_client_id}"
    assert {e["actor"] for e in entries} == {actor}
    user, config, client = entries
    assert user["after"]["password_hash"] == REDACTED
    assert config["before"]["requirePkce"] is False and config["after"]["requirePkce"] is True
    assert config["after"]["pairwiseCalculationKey"] == REDACTED
    assert client["before"] is None
    assert client["after"]["secret_hash"] == REDACTED
    assert created.json()["client_secret"] not in str(entries)
    assert (await api.get(paths.AUDIT, limit=1, startIndex=2)).json() == [config]
    assert (await api.get(paths.AUDIT, limit=0)).status_code == 400
    assert (await api.get(paths.AUDIT, limit="x")).status_code == 400


async def test_ops_scopes(http: httpx.AsyncClient, token_for: TokenFactory) -> None:
    reader = Api(http, await token_for(KEYS_READ, SESSIONS_READ, AUDIT_READ))
    for path in (paths.KEYS, paths.SESSIONS, paths.AUDIT):
        assert (await reader.get(path)).status_code == 200
    assert (await reader.post(paths.KEYS_ROTATE)).status_code == 403
    assert (await reader.delete(f"{paths.SESSIONS}/x")).status_code == 403
