"""``authgate backup DEST``: a consistent copy of the SQLite database, made while the server
runs (:mod:`authgate.storage.backup`). PostgreSQL is refused with a pointer to ``pg_dump``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from authgate.settings import Settings

PG_POINTER = (
    "authgate backup copies SQLite databases; back up PostgreSQL with pg_dump "
    "(docs/operations.md, 'Backups')"
)


@click.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
@click.option(
    "--database-url",
    envvar="AUTHGATE_DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: SQLite in the data directory).",
)
@click.option(
    "--data-dir", envvar="AUTHGATE_DATA_DIR", default=None, help="Directory for the SQLite file."
)
def backup_command(destination: Path, database_url: str | None, data_dir: str | None) -> None:
    """Copy the SQLite database to DESTINATION (a new file, or a directory to put a
    timestamped file in), consistently, while the server runs. The copy holds the signing
    keys: keep it secret."""
    from sqlalchemy.engine import make_url

    from authgate.storage.backup import BackupError, backup_sqlite
    from authgate.storage.connect import is_sqlite

    given = {"database_url": database_url, "data_dir": data_dir}
    values: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    settings = Settings(**values)
    url = settings.database
    if not is_sqlite(url):
        raise click.ClickException(PG_POINTER)
    source = make_url(url).database
    if not source:
        raise click.ClickException("the database URL names no SQLite file")
    if destination.is_dir():
        destination = destination / f"authgate-{_stamp()}.db"
    try:
        result = backup_sqlite(source, destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"backed up {source} to {result.destination} "
        f"({result.pages} pages, {result.bytes} bytes, integrity ok)"
    )
    if settings.sealing_key is None:
        from authgate.runtime import sealing_key_file

        key = sealing_key_file(settings)
        if key.exists():
            click.echo(
                f"not in the copy: the sealing key {key}, without which the upstream "
                "providers' client secrets in it cannot be read; back that file up with it, "
                "as secretly (docs/operations.md, 'Backups')"
            )


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
