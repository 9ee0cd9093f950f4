"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 and a free port, in its own thread,
keeping every message it receives."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Handler:
    def __init__(self, box: MailServer) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.box.lock:
            self.box.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class MailServer:
    """The messages received, as (recipients, message), oldest first."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def settings(self) -> dict[str, Any]:
        """Settings keyword arguments that send through this server."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": "none",
            "smtp_from": "authgate@example.com",
        }

    def environment(self) -> dict[str, str]:
        return {
            "AUTHGATE_SMTP_HOST": "127.0.0.1",
            "AUTHGATE_SMTP_PORT": str(self.port),
            "AUTHGATE_SMTP_SECURITY": "none",
            "AUTHGATE_SMTP_FROM": "authgate@example.com",
        }

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The ``count``-th message to ``address``, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.to(address)
            if len(received) >= count:
                return received[count - 1]
            time.sleep(0.02)
        raise AssertionError(f"no mail #{count} to {address} within {timeout} s")

    async def await_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """:meth:`wait_for` without blocking the event loop (for in-process servers)."""
        import asyncio

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.to(address)
            if len(received) >= count:
                return received[count - 1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no mail #{count} to {address} within {timeout} s")


def link_in(message: EmailMessage) -> str:
    """The one link in a message's body."""
    body = message.get_content()
    links = LINK.findall(body)
    assert len(links) == 1, body
    return str(links[0])


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
