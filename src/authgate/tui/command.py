"""``authgate tui``: start the terminal UI against a running server's Config API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from authgate.admin.connection import Connection, ConnectionSettingsError, resolve


async def _check(connection: Connection) -> None:
    from authgate.admin.client import AdminClient

    async with AdminClient(connection.url, connection.client_id, connection.client_secret) as c:
        await c.token()


@click.command("tui")
@click.option("--url", default=None, help="Server (issuer) URL. Env AUTHGATE_ADMIN_URL.")
@click.option("--client-id", default=None, help="Admin client id. Env AUTHGATE_ADMIN_CLIENT_ID.")
@click.option(
    "--client-secret", default=None, help="Admin client secret. Env AUTHGATE_ADMIN_CLIENT_SECRET."
)
@click.option(
    "--config-file",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML file with url, client_id, client_secret (default ~/.config/authgate/admin.toml).",
)
def tui_command(
    url: str | None, client_id: str | None, client_secret: str | None, config_file: Path | None
) -> None:
    """Administer a running server in a terminal UI (Properties, Clients, Scopes, Keys, ...)."""
    from authgate.admin.client import AdminApiError, AdminClient, ServerUnreachable
    from authgate.tui.app import make_app

    try:
        connection = resolve(url, client_id, client_secret, file=config_file)
    except ConnectionSettingsError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        asyncio.run(_check(connection))
    except ServerUnreachable as exc:
        raise click.ClickException(f"server unreachable: {exc}") from None
    except AdminApiError as exc:
        raise click.ClickException(str(exc)) from None
    client = AdminClient(connection.url, connection.client_id, connection.client_secret)
    make_app(client).run()
