"""A new, empty PostgreSQL database for a test that hands it to processes of its own (an
``authgate serve``, the commands of a document), dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL, _pg_reachable, _run


class PostgresUnreachable(Exception):
    """The test server at ``AUTHGATE_TEST_PG_URL`` does not answer; the message says why."""


def reachable() -> str | None:
    """None when the test server answers, else why not."""
    problem: str | None = _run(_pg_reachable())
    return problem


@contextmanager
def scratch_database(prefix: str, password: str | None = None) -> Iterator[str]:
    """A ``postgresql://`` URL of a new database (``password`` is put in the URL: the test
    server's trust authentication ignores it, so a test can look for it in the output).

    Raises:
        PostgresUnreachable: the test server does not answer.
    """
    problem = reachable()
    if problem is not None:
        raise PostgresUnreachable(problem)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_url(PG_ADMIN_URL)
    where = f"{admin.host}:{admin.port or 5432}"
    dsn = f"postgresql://{admin.username}@{where}/{admin.database}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _run(execute(f'CREATE DATABASE "{name}"'))
    user = admin.username if password is None else f"{admin.username}:{password}"
    try:
        yield f"postgresql://{user}@{where}/{name}"
    finally:
        _run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
