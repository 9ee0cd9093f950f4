"""Self-service mail as text from templates (``templates/mail/<kind>.txt``), handed to a
transport (SMTP in a server: :mod:`authgate.outbound.smtp`). Implements
``core.ports.Mailer``.

A template's first line is ``Subject: ...``; the rest, after one empty line, is the body.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from authgate.core.types import Mail
from authgate.web.pages import TEMPLATES

_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES / "mail"),
    autoescape=False,  # noqa: S701 (plain text mail, never HTML)
    auto_reload=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(mail: Mail) -> tuple[str, str]:
    """The subject and body of ``mail``."""
    text = _ENV.get_template(f"{mail.kind}.txt").render(
        name=mail.name, link=mail.link, detail=mail.detail, to=mail.to
    )
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"mail template {mail.kind}.txt does not start with 'Subject: '")
    return head.removeprefix("Subject: ").strip(), body


class TemplateMailer:
    """Renders each mail and hands the message to ``transport`` (which must not block)."""

    def __init__(self, transport: Callable[[EmailMessage], None], sender: str) -> None:
        self._transport = transport
        self._sender = sender

    def send(self, mail: Mail) -> None:
        subject, body = render(mail)
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        self._transport(message)
