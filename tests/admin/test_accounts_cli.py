"""``authgate users grants|sessions`` on the local database (SQLite and PostgreSQL): list,
revoke one, revoke all; nothing secret printed."""

from __future__ import annotations

import asyncio
import json
import time

from authgate.core.types import Client, ClientMetadata, LoginSession, TokenRecord, User
from authgate.crypto.handles import handle_hash
from authgate.storage.clients import SqlClientStore
from authgate.storage.connect import open_database
from authgate.storage.grants import SqlGrantStore
from authgate.storage.sessions import SqlConsentStore, SqlSessionStore
from authgate.storage.users import SqlUserStore
from tests.admin.test_cli import _cli, local  # noqa: F401 (the local fixture)

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari"
TOKEN = "01a2secret-access-token-value-never-printed"


async def _seed(database_url: str) -> None:
    """Bob approved two apps, holds a token of the first, and has two sessions."""
    db = await open_database(database_url)
    now = time.time()
    try:
        await SqlUserStore(db).add(User("u-bob", "bob", "$argon2id$x", created_at=int(now)))
        for client_id in ("app-1", "app-2"):
            meta = ClientMetadata(
                client_name=f"App {client_id}", redirect_uris=("https://a.example/cb",)
            )
            await SqlClientStore(db).add(Client(client_id, meta, int(now)))
            await SqlConsentStore(db).grant("u-bob", client_id, ["openid"], now)
        record = TokenRecord(handle_hash(TOKEN), "access_token", "g-1", "app-1", "u-bob",
                             ("openid",), now, now + 600, sid="sid-1")  # fmt: skip
        await SqlGrantStore(db).add_tokens([record])
        for n in (1, 2):
            await SqlSessionStore(db).add(
                LoginSession(
                    f"sh-{n}",
                    f"sid-{n}",
                    "u-bob",
                    int(now) - n,
                    int(now) + 3600,
                    user_agent=UA,
                    last_used_at=int(now),
                )
            )
    finally:
        await db.close()


async def _revoked(database_url: str) -> bool:
    db = await open_database(database_url)
    try:
        held = await SqlGrantStore(db).get_token(handle_hash(TOKEN))
        assert held is not None
        return held.revoked_at is not None
    finally:
        await db.close()


def test_grants_and_sessions_locally(local: list[str]) -> None:  # noqa: F811
    database_url = local[1]
    assert _cli("users", "list", *local).exit_code == 0  # the first start
    asyncio.run(_seed(database_url))

    rows = [
        r.split("\t") for r in _cli("users", "grants", "list", "bob", *local).stdout.splitlines()
    ]
    assert sorted((r[0], r[1], r[2]) for r in rows) == [
        ("app-1", "App app-1", "openid"),
        ("app-2", "App app-2", "openid"),
    ]
    as_json = json.loads(_cli("users", "grants", "list", "u-bob", "--json", *local).stdout)
    assert {g["client_id"] for g in as_json} == {"app-1", "app-2"}

    revoked = _cli("users", "grants", "revoke", "bob", "app-1", *local)
    assert revoked.stdout == "revoked app-1: 1 tokens revoked\n", revoked.output
    assert asyncio.run(_revoked(database_url))
    missing = _cli("users", "grants", "revoke", "bob", "app-1", *local)
    assert missing.exit_code == 1
    usage = _cli("users", "grants", "revoke", "bob", *local)
    assert usage.exit_code == 2
    assert _cli("users", "grants", "revoke", "bob", "--all", *local).stdout == (
        "revoked 1 grants: app-2\n"
    )

    sessions = [
        r.split("\t") for r in _cli("users", "sessions", "list", "bob", *local).stdout.splitlines()
    ]
    assert [r[0] for r in sessions] == ["sid-1", "sid-2"]
    assert sessions[0][4] == UA
    assert (
        _cli("users", "sessions", "revoke", "bob", "sid-1", *local).stdout
        == "ended session sid-1\n"
    )
    assert (
        _cli("users", "sessions", "revoke", "bob", "--all", *local).stdout == "ended 1 sessions\n"
    )
    assert _cli("users", "sessions", "list", "bob", *local).stdout == ""
    everything = "".join(
        _cli("users", *args, *local).output
        for args in (("grants", "list", "bob", "--json"), ("sessions", "list", "bob", "--json"))
    )
    assert TOKEN not in everything
    assert "sh-1" not in everything  # no session handle hash either
