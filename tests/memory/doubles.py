"""Doubles of the ports that reach outside the server: configuration, client JWK Sets,
sector identifier documents and back-channel logout delivery. No network, no threads."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from authgate.appconfig import AppConfiguration
from authgate.core.types import LogoutNotice, Mail, SecurityEvent
from authgate.errors import InvalidClientMetadata, OutboundError


class StaticConfig:
    """A ``ConfigSource`` holding one configuration until :meth:`replace` swaps it."""

    def __init__(self, config: AppConfiguration | None = None) -> None:
        self._config = config if config is not None else AppConfiguration()

    @property
    def current(self) -> AppConfiguration:
        return self._config

    def replace(self, config: AppConfiguration) -> None:
        self._config = config

    def update(self, **changes: Any) -> AppConfiguration:
        """Apply property changes, validated as the Config API would; returns the new one.

        Raises:
            pydantic.ValidationError: a change the configuration refuses.
        """
        self._config = AppConfiguration.from_document(self._config.to_document() | changes)
        return self._config


class StaticJwksSource:
    """A ``JwksSource`` serving published JWK Sets by URI, recording every request."""

    def __init__(self, documents: Mapping[str, Any] | None = None) -> None:
        self.documents: dict[str, Any] = dict(documents or {})
        #: (uri, refresh) of every call, in order.
        self.requests: list[tuple[str, bool]] = []

    def publish(self, uri: str, jwks: Any) -> None:
        """Serve ``jwks`` at ``uri`` (anything but a JWK Set makes ``get`` fail)."""
        self.documents[uri] = jwks

    async def get(self, uri: str, *, refresh: bool = False) -> Mapping[str, Any]:
        """Raises OutboundError, like the HTTP source, for an unknown URI or a document
        that is not a JWK Set."""
        self.requests.append((uri, refresh))
        if uri not in self.documents:
            raise OutboundError("HTTP 404")
        document = self.documents[uri]
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise OutboundError("the response is not a JWK Set")
        return document


class StaticRequestObjects:
    """A ``RequestObjectFetcher`` serving published request objects by URI, recording every
    request; an unknown URI fails as an unreachable one does."""

    def __init__(self) -> None:
        self.documents: dict[str, str] = {}
        self.requests: list[str] = []

    def publish(self, uri: str, token: str) -> None:
        self.documents[uri] = token

    async def fetch(self, uri: str, *, max_bytes: int) -> str:
        self.requests.append(uri)
        if uri not in self.documents:
            raise OutboundError("HTTP 404")
        if len(self.documents[uri]) > max_bytes:
            raise OutboundError("too large")
        return self.documents[uri]


class StaticSectorIdentifiers:
    """A ``SectorIdentifierFetcher`` serving published redirect URI arrays by URI."""

    def __init__(
        self,
        documents: Mapping[str, Sequence[str]] | None = None,
        *,
        allow_http_loopback: bool = False,
    ) -> None:
        self.documents: dict[str, list[str]] = {u: list(d) for u, d in (documents or {}).items()}
        self.allow_http_loopback = allow_http_loopback
        #: Every URI fetched, in order.
        self.fetched: list[str] = []

    def publish(self, uri: str, redirect_uris: Sequence[str]) -> None:
        self.documents[uri] = list(redirect_uris)

    async def fetch(self, uri: str) -> list[str]:
        """Raises InvalidClientMetadata, like the HTTP fetcher, for an unknown URI."""
        self.fetched.append(uri)
        if uri not in self.documents:
            raise InvalidClientMetadata(
                f"Parameter sector_identifier_uri is not valid: fetching {uri} answered HTTP 404"
            )
        return list(self.documents[uri])


class RecordingLogoutNotifier:
    """A ``LogoutNotifier`` that keeps the notices instead of delivering them."""

    def __init__(self) -> None:
        self.notices: list[LogoutNotice] = []

    async def submit(self, notices: Sequence[LogoutNotice]) -> None:
        self.notices.extend(notices)


class Outbox:
    """A ``Mailer`` that keeps the mails for the core's tests (the HTTP and browser tests
    send through a real SMTP server: tests/mail_server.py)."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.sent.append(mail)


class RecordingSecurityEvents:
    """A ``SecurityEventLog`` keeping every event in a list, newest last."""

    def __init__(self) -> None:
        self.events: list[SecurityEvent] = []

    def record(self, event: SecurityEvent) -> None:
        self.events.append(event)

    async def flush(self) -> None:
        return None

    async def list(
        self, limit: int = 100, offset: int = 0, kind: str | None = None
    ) -> list[SecurityEvent]:
        newest = [e for e in reversed(self.events) if kind is None or e.kind == kind]
        return newest[offset : offset + limit]

    def kinds(self) -> builtins.list[str]:
        """The kinds recorded so far, oldest first."""
        return [e.kind for e in self.events]


class StaticUpstream:
    """An ``UpstreamHttp`` answering from JSON documents by URL; any other URL fails as an
    unreachable host does (``OutboundError``). Records every request."""

    def __init__(self, documents: Mapping[str, Any] | None = None) -> None:
        self.documents: dict[str, Any] = dict(documents or {})
        self.requests: list[tuple[str, str]] = []

    async def get_json(
        self, url: str, *, bearer: str | None = None, cache: bool = False
    ) -> tuple[int, Any]:
        self.requests.append(("GET", url))
        if url not in self.documents:
            raise OutboundError("ConnectError")
        return 200, self.documents[url]

    async def post_form(
        self, url: str, form: Mapping[str, str], *, basic: tuple[str, str] | None = None
    ) -> tuple[int, Any]:
        self.requests.append(("POST", url))
        if url not in self.documents:
            raise OutboundError("ConnectError")
        return 200, self.documents[url]
