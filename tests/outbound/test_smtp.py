"""Mail over SMTP with STARTTLS and with implicit TLS, with a login, against a real aiosmtpd
server on 127.0.0.1 whose certificate a test CA signed; a refused login and an untrusted
certificate send nothing and log neither the password nor the message."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from authgate.core.types import Mail
from authgate.outbound.smtp import SmtpSender, SmtpSettings
from authgate.settings import Settings
from authgate.web.mail import TemplateMailer
from tests.mail_server import _free_port

SMTP_PASSWORD = "smtp-password-never-logged"


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    base = tmp_path_factory.mktemp("smtp-pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test smtp ca"))
        .issuer_name(_name("test smtp ca"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(base / "ca.pem", base / "cert.pem", base / "key.pem")
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"mailer"
        and (data.password == SMTP_PASSWORD.encode())
    )
    return AuthResult(success=ok, handled=False)


def _context(pki: Pki) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.cert, pki.key)
    return context


@pytest.fixture(params=["starttls", "tls"])
def server(request: pytest.FixtureRequest, pki: Pki) -> Iterator[tuple[str, int, _Inbox]]:
    inbox = _Inbox()
    port = _free_port()
    security = str(request.param)
    kwargs: dict[str, Any] = {"authenticator": _authenticate}
    if security == "starttls":
        kwargs |= {"tls_context": _context(pki), "require_starttls": True, "auth_required": True}
    else:
        # aiosmtpd sees TLS only after STARTTLS; on an implicit TLS socket the whole
        # connection is encrypted, so AUTH may be offered (the client logs in: a wrong
        # password still fails the delivery)
        kwargs |= {"ssl_context": _context(pki), "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield security, port, inbox
    finally:
        controller.stop()


def _sender(security: str, port: int, pki: Pki | None, password: str) -> SmtpSender:
    settings = Settings(
        issuer_url="https://id.example.com",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=security,
        smtp_username="mailer",
        smtp_password=password,
        smtp_ca_file=pki.ca if pki else None,
        smtp_timeout=5,
    )
    smtp = SmtpSettings.from_settings(settings)
    assert smtp is not None
    assert SMTP_PASSWORD not in repr(smtp)
    return SmtpSender(smtp)


def _send(sender: SmtpSender) -> None:
    mail = Mail("reset_password", "alice@example.org", "Alice", link="https://id.example.com/x")
    TemplateMailer(sender.submit, sender.smtp.sender).send(mail)


async def test_mail_goes_out_over_tls_with_a_login(
    server: tuple[str, int, _Inbox], pki: Pki
) -> None:
    security, port, inbox = server
    sender = _sender(security, port, pki, SMTP_PASSWORD)
    assert sender.smtp.sender == "no-reply@id.example.com"
    _send(sender)
    await sender.close()
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["alice@example.org"]
    assert envelope.mail_from == "no-reply@id.example.com"
    assert b"Subject: Reset your password" in envelope.content


@pytest.mark.parametrize("problem", ["wrong password", "untrusted certificate"])
async def test_a_failed_delivery_is_logged_without_secrets(
    server: tuple[str, int, _Inbox], pki: Pki, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    security, port, inbox = server
    if problem == "wrong password":
        sender = _sender(security, port, pki, SMTP_PASSWORD + "x")
    else:
        sender = _sender(security, port, None, SMTP_PASSWORD)
    with caplog.at_level(logging.INFO, logger="authgate.mail"):
        _send(sender)
        await sender.close()
    assert inbox.messages == []
    logged = caplog.text
    assert "not sent" in logged and "example.org" in logged
    assert SMTP_PASSWORD not in logged and "https://id.example.com/x" not in logged


async def test_submit_returns_before_the_server_answers(pki: Pki) -> None:
    """A server that never answers: submit returns at once; close gives up after its wait."""
    port = _free_port()
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", port)
    try:
        sender = _sender("starttls", port, pki, SMTP_PASSWORD)
        loop = asyncio.get_running_loop()
        started = loop.time()
        _send(sender)
        assert loop.time() - started < 0.05
        await sender.close(timeout=0.2)
    finally:
        listener.close()
