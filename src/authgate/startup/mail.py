"""The start-up check of the self-service mail settings (docs/self-service.md)."""

from __future__ import annotations

from authgate.appconfig import AppConfiguration
from authgate.settings import Settings
from authgate.startup.errors import StartupError


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
