"""``authgate users factors|passkeys`` on the local database (SQLite and PostgreSQL): list,
remove a passkey, reset; no seed, code or key printed."""

from __future__ import annotations

import asyncio
import json
import time

from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.types import SecondFactor, User
from authgate.storage.connect import open_database
from authgate.storage.factors import SqlFactorStore
from authgate.storage.passkeys import SqlPasskeyStore
from authgate.storage.users import SqlUserStore
from tests.admin.test_cli import _cli, local  # noqa: F401 (the local fixture)

SEALED = "sealed-seed-never-printed"
KEY = "pQECAyYgASFYIKeyMaterialNeverPrinted"


async def _seed(database_url: str) -> None:
    """Bob has an authenticator app, two recovery codes and a passkey."""
    db = await open_database(database_url)
    now = time.time()
    try:
        await SqlUserStore(db).add(User("u-bob", "bob", "$argon2id$x", created_at=int(now)))
        factors = SqlFactorStore(db)
        await factors.start(SecondFactor("f-1", "u-bob", "totp", SEALED, now, label="Phone"))
        assert await factors.confirm("f-1", 1, now)
        await factors.replace_recovery_codes("u-bob", ["a" * 64, "b" * 64], now)
        await SqlPasskeyStore(db).add(
            PasskeyCredential("cred-1", "u-bob", KEY, 0, "aGFuZGxl", "Laptop", now)
        )
    finally:
        await db.close()


def test_factors_and_passkeys_locally(local: list[str]) -> None:  # noqa: F811
    assert _cli("users", "list", *local).exit_code == 0  # the first start
    asyncio.run(_seed(local[1]))

    listed = _cli("users", "factors", "list", "bob", *local)
    assert listed.exit_code == 0, listed.output
    rows = [r.split("\t") for r in listed.stdout.splitlines()[:-1]]
    assert sorted((r[0], r[1], r[2]) for r in rows) == [
        ("passkey", "cred-1", "Laptop"),
        ("totp", "f-1", "Phone"),
    ]
    assert listed.stdout.splitlines()[-1] == "recovery codes left: 2"
    as_json = json.loads(_cli("users", "factors", "list", "u-bob", "--json", *local).stdout)
    assert as_json["recovery_codes_left"] == 2

    passkeys = _cli("users", "passkeys", "list", "bob", *local).stdout.splitlines()
    assert [r.split("\t")[:2] for r in passkeys] == [["cred-1", "Laptop"]]
    assert _cli("users", "passkeys", "remove", "bob", "no-such", *local).exit_code == 1
    removed = _cli("users", "passkeys", "remove", "bob", "cred-1", *local)
    assert removed.stdout == "removed passkey cred-1\n", removed.output
    assert _cli("users", "passkeys", "list", "bob", *local).stdout == ""

    reset = _cli("users", "factors", "reset", "bob", "--yes", *local)
    assert reset.stdout == "removed: totp 1, webauthn 0, recovery 2\n", reset.output
    assert _cli("users", "factors", "list", "bob", *local).stdout == "recovery codes left: 0\n"
    assert _cli("users", "factors", "reset", "nobody", "--yes", *local).exit_code == 1
    everything = "".join(
        _cli("users", *args, *local).output
        for args in (("factors", "list", "bob", "--json"), ("passkeys", "list", "bob", "--json"))
    )
    assert SEALED not in everything and KEY not in everything
