"""Sending self-service mail over SMTP with aiosmtplib, in the background.

:meth:`SmtpSender.submit` returns at once: the request that caused the mail (a password reset
in particular) answers without waiting for the SMTP server, so its timing does not depend on
whether a mail is sent. A failed delivery is logged with the recipient's domain and the
error's type only; the message (which holds a one-time link) and the SMTP password are never
logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from authgate.settings import Settings

logger = logging.getLogger("authgate.mail")

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    sender: str
    timeout: float
    ca_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings | None:
        """None without ``AUTHGATE_SMTP_HOST``."""
        if not settings.smtp_host:
            return None
        security = settings.smtp_security
        host = settings.issuer.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port or DEFAULT_PORTS[security],
            security=security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            sender=settings.smtp_from or f"no-reply@{host}",
            timeout=settings.smtp_timeout,
            ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )

    def __repr__(self) -> str:
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r})"


class SmtpSender:
    """Delivers messages to one SMTP server, each in its own background task."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.smtp.sender
        task = asyncio.get_running_loop().create_task(self._deliver(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, message: EmailMessage) -> None:
        smtp = self.smtp
        domain = str(message["To"]).rpartition("@")[2]
        try:
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.security == "tls",
                start_tls=smtp.security == "starttls",
                timeout=smtp.timeout,
                cert_bundle=smtp.ca_file,
            )
        except Exception as exc:
            logger.error("mail to an address at %s not sent: %s", domain, type(exc).__name__)
            return
        logger.info("mail to an address at %s handed to %s", domain, smtp.host)

    async def close(self, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` seconds for deliveries under way."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
