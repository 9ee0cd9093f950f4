"""Fill a migrated authgate SQLite database with stored grants, as a long-running server has.

Each grant gets an access token and a refresh token (so 500,000 grants are 1,000,000 token
rows), keyed and named as the server keys and names them (``authgate.crypto.handles``: the
clock's digits, then a hash; time-ordered grant ids), spread over many users and clients, with
expiry times far enough ahead that the janitor keeps them during the run. Inserted with the
stdlib driver in large transactions: this is set-up, not measurement.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from authgate.crypto.handles import handle_hash, new_grant_id, new_handle

_COLUMNS = (
    "token_hash, kind, grant_id, client_id, user_id, scope, issued_at, expires_at, auth_time, "
    "sid, acr, amr, used_at, revoked_at, jkt, grant_expires_at, successor"
)
_INSERT = f"INSERT INTO tokens ({_COLUMNS}) VALUES ({', '.join('?' * 17)})"  # noqa: S608


def _rows(grants: int, now: float) -> Iterator[tuple[object, ...]]:
    for i in range(grants):
        grant_id = new_grant_id()
        client_id = f"prefill-client-{i % 1000}"
        user_id = f"prefill-user-{i % 50_000}"
        sid = secrets.token_hex(16)
        issued = now - (i % 3600)
        for kind, lifetime in (("access_token", 86_400.0), ("refresh_token", 172_800.0)):
            yield (
                handle_hash(new_handle()), kind, grant_id, client_id, user_id,
                "openid profile email", issued, issued + lifetime, int(issued), sid,
                "simple_password_auth", "pwd", None, None, None, issued + 172_800.0, None,
            )  # fmt: skip


def prefill_sqlite(path: Path, grants: int) -> int:
    """Insert ``grants`` grants (two tokens each); returns the number of token rows."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        rows = _rows(grants, time.time())
        total = 0
        while True:
            batch = [row for _, row in zip(range(100_000), rows, strict=False)]
            if not batch:
                break
            con.execute("BEGIN")
            con.executemany(_INSERT, batch)
            con.execute("COMMIT")
            total += len(batch)
        return total
    finally:
        con.close()
