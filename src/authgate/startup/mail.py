"""The start-up check of the self-service mail settings (docs/self-service.md)."""

from __future__ import annotations

import logging

from authgate.appconfig import AppConfiguration
from authgate.settings import Settings
from authgate.startup.database import database_target
from authgate.startup.errors import StartupError
from authgate.storage.configuration import SqlConfigurationStore
from authgate.storage.connect import open_database, schema_revision

logger = logging.getLogger(__name__)


async def check_stored_mail(settings: Settings) -> None:
    """:func:`check_mail` against the configuration stored in the database, before
    ``serve`` migrates or prints anything, so that the failure is its only output. Nothing
    to check on a database that does not exist yet (everything is off by default)."""
    if settings.smtp_host:
        return
    target = database_target(settings)
    if target.sqlite_path is not None and not target.sqlite_path.exists():
        return
    try:
        # read-only: a database that is not authgate's is left as it is, for the checks
        # that follow to report
        if await schema_revision(settings.database) is None:
            return
        db = await open_database(settings.database)
    except Exception:  # the database checks that follow report it
        return
    try:
        loaded = await SqlConfigurationStore(db).load()
    except Exception:  # no schema yet
        loaded = None
    finally:
        await db.close()
    if loaded is not None:
        try:
            config = AppConfiguration.from_document(loaded[1])
        except ValueError:
            return  # Runtime.start reports an invalid document
        check_mail(settings, config)


def check_mail(settings: Settings, config: AppConfiguration) -> None:
    """Raises StartupError when a self-service flow that sends mail is on without an SMTP
    server to send it through."""
    if config.selfServiceMailNeeded and not settings.smtp_host:
        on = [
            name
            for name in (
                "selfServiceSignUpEnabled",
                "selfServicePasswordResetEnabled",
                "selfServiceProfileChangesEnabled",
            )
            if getattr(config, name)
        ]
        raise StartupError(
            f"self-service mail is needed ({', '.join(on)}) but AUTHGATE_SMTP_HOST is not set",
            "Set AUTHGATE_SMTP_HOST (and AUTHGATE_SMTP_PORT, AUTHGATE_SMTP_SECURITY, "
            "AUTHGATE_SMTP_FROM as needed), or switch those settings off, then start again.",
        )
