"""The CLI's local mode: the admin use cases over a runtime started on this host's database.

Composition-root code (it starts a :class:`~authgate.runtime.Runtime`), handed to the admin
commands by :mod:`authgate.cli` through :func:`authgate.admin.cli_support.provide_local_backend`.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import AsyncIterator

import click

from authgate.admin.backends import AdminBackend, LocalBackend
from authgate.admin.context import Actor
from authgate.assembly import admin_service
from authgate.runtime import FirstStart, Runtime
from authgate.settings import Settings
from authgate.startup.database import prepare


def report_first_start(first: FirstStart) -> None:
    """Tell the operator, once, about credentials a first start generated."""
    if first.admin_password:
        click.echo(
            f"First start: created user '{first.admin_username}' with password "
            f"'{first.admin_password}' (shown once)",
            err=True,
        )
    if first.admin_client_id and first.admin_client_secret:
        click.echo(
            f"First start: created Config API admin client '{first.admin_client_id}' with "
            f"secret '{first.admin_client_secret}' (shown once)",
            err=True,
        )


@contextlib.asynccontextmanager
async def open_local_backend(settings: Settings) -> AsyncIterator[AdminBackend]:
    """The use cases over ``settings``' database, acting as ``cli:<os user>``.

    The database must exist at this authgate's schema revision (only ``serve`` and
    ``migrate`` create or upgrade one); a migrated database that was never served gets its
    configuration, keys and first user here, as at a first start. The runtime stops
    afterwards.

    Raises:
        StartupError: the database is missing, unreachable or not migrated.
    """
    await prepare(settings, create=False)
    runtime = await Runtime.start(settings, migrate=False, poll=False, serves_pages=False)
    try:
        report_first_start(runtime.first_start)
        yield LocalBackend(admin_service(runtime), Actor(f"cli:{getpass.getuser()}"))
    finally:
        await runtime.stop()
