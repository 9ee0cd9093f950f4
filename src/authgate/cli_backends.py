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
    """The use cases over ``settings``' database, acting as ``cli:<os user>``; the runtime
    migrates the schema and bootstraps a fresh database first, and stops afterwards."""
    runtime = await Runtime.start(settings, migrate=True, poll=False)
    try:
        report_first_start(runtime.first_start)
        yield LocalBackend(admin_service(runtime), Actor(f"cli:{getpass.getuser()}"))
    finally:
        await runtime.stop()
