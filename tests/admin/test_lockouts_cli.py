"""``authgate lockouts list|clear`` on the local database (SQLite and PostgreSQL). The same
commands against a running server (``--url``) are run by tests/web/test_brute_force_instances.py."""

from __future__ import annotations

import asyncio
import json
import time

from click.testing import CliRunner, Result

from authgate.appconfig import AppConfiguration
from authgate.cli import main
from authgate.core.protection import attempts
from authgate.storage.configuration import SqlConfigurationStore
from authgate.storage.connect import open_database
from authgate.storage.failures import SqlFailureStore
from authgate.storage.users import SqlUserStore

NOW_WINDOW = 3600.0


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


async def _fail(database_url: str, family: str, subject: str, source: str, times: int) -> None:
    """Count failures as the server would (the local runtime's clock is the wall clock)."""
    db = await open_database(database_url)
    try:
        user_id = None
        if family == attempts.LOGIN:
            loaded = await SqlConfigurationStore(db).load()
            assert loaded is not None
            user = await SqlUserStore(db).get_by_username(subject)
            user_id = user.user_id if user else None
            subject = attempts.account_subject(subject, AppConfiguration.from_document(loaded[1]))
        attempt = attempts.attempt(family, subject, source)
        store = SqlFailureStore(db)
        for _ in range(times):
            now = time.time()
            await store.add(
                attempt.counters(),
                now,
                now - NOW_WINDOW,
                keep_until=now + NOW_WINDOW,
                user_id=user_id,
            )
    finally:
        await db.close()


def test_list_and_clear_locally(database_url: str) -> None:
    local = ["--database-url", database_url]
    assert _cli("lockouts", "list", *local).stdout == ""  # also creates the configuration
    asyncio.run(_fail(database_url, attempts.LOGIN, "admin", "203.0.113.9", 6))
    asyncio.run(_fail(database_url, attempts.CLIENT, "some-client", "203.0.113.9", 2))

    rows = [line.split("\t") for line in _cli("lockouts", "list", *local).stdout.splitlines()]
    assert len(rows) == 6
    throttled = [r for r in rows if r[1] == "throttled"]
    assert [(r[3], r[4], r[5], r[6]) for r in throttled] == [("login", "admin", "203.0.113.9", "6")]
    assert {(r[3], r[4], r[5]) for r in rows} >= {
        ("client", "some-client", "203.0.113.9"),
        ("client", "some-client", "*"),
        ("login", "*", "203.0.113.9"),
    }
    as_json = json.loads(_cli("lockouts", "list", "--family", "client", "--json", *local).stdout)
    assert {c["client_id"] for c in as_json} == {"some-client", None}

    cleared = _cli("lockouts", "clear", "--username", "admin", "--source", "203.0.113.9", *local)
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout == "cleared 1 counters\n"
    one = next(c for c in as_json if c["client_id"] is None)
    assert _cli("lockouts", "clear", "--id", one["id"], *local).stdout == "cleared 1 counters\n"
    assert _cli("lockouts", "clear", "--client", "some-client", *local).stdout == (
        "cleared 2 counters\n"
    )
    left = _cli("lockouts", "list", *local).stdout.splitlines()
    assert sorted(line.split("\t")[3:6] for line in left) == [
        ["login", "*", "203.0.113.9"],
        ["login", "admin", "*"],
    ]

    nothing = _cli("lockouts", "clear", *local)
    assert nothing.exit_code == 2 and "Say what to clear" in nothing.stderr
    both = _cli("lockouts", "clear", "--username", "a", "--client", "b", *local)
    assert both.exit_code == 1 and "not both" in both.stderr
