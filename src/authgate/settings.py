"""Process settings: where the server listens, its issuer and its database.

These are deployment facts read once at start (environment variables prefixed ``AUTHGATE_``,
or CLI flags); behaviour that operators tune at run time lives in the auth-server
configuration document (:mod:`authgate.appconfig`). Only :mod:`authgate.cli` builds a
``Settings`` from the environment; everything else receives one as an argument.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    """Typed process settings with documented defaults."""

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8080, ge=1, le=65535, description="TCP port to listen on.")
    issuer_url: str | None = Field(
        None,
        alias="AUTHGATE_ISSUER",
        description="Public issuer URL (scheme://host[:port], no trailing slash). "
        "Default: http://<host>:<port>.",
    )
    data_dir: Path = Field(Path("data"), description="Directory of the embedded SQLite database.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL. Default: SQLite file <data_dir>/authgate.db. "
        "PostgreSQL: postgresql+asyncpg://user@host/db.",
    )
    admin_username: str = Field("admin", description="Username of the first user.")
    admin_password: str | None = Field(
        None,
        description="Password of the first user, created on first start; generated and printed "
        "once when unset.",
    )
    admin_client_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="client_id of the Config API admin client created on first start; "
        "generated when unset.",
    )
    admin_client_secret: str | None = Field(
        None,
        min_length=20,
        description="Secret of that admin client (use a long random value); generated and "
        "printed once when unset. Only its hash is stored.",
    )
    config_poll_interval: float = Field(
        2.0,
        gt=0,
        le=60,
        description="Seconds between checks for configuration and key changes made by other "
        "instances or the Config API.",
    )
    cleanup_interval: float = Field(
        300.0, gt=0, description="Seconds between purges of expired codes, tokens and sessions."
    )
    workers: int = Field(1, ge=1, le=64, description="Server worker processes.")
    sqlite_commit_delay: float = Field(
        0.001,
        ge=0,
        le=0.05,
        description="Seconds a SQLite batch waits, under load (after a batch of four or "
        "more transactions), for more transactions to join one commit and fsync (group "
        "commit; 0 turns it off).",
    )
    sector_identifier_allow_http_loopback: bool = Field(
        False,
        description="TEST ONLY. Accept `http` sector_identifier_uri values on loopback hosts "
        "(localhost, 127.0.0.1, ::1) and fetch them, so tests can serve the document from a "
        "local HTTP server. Never enable in production: OIDC Registration §2 requires https.",
    )
    log_level: str = Field("info", description="Log level for the authgate loggers.")
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks (e.g. `127.0.0.1,10.0.0.0/8`) of "
        "reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client's "
        "address. Empty (the default): the peer address is the client's, and those headers "
        "are ignored, so nobody can choose the address that brute-force protection and rate "
        "limits count.",
    )

    max_connections: int = Field(
        4096,
        ge=16,
        le=1_000_000,
        description="Open connections one server process holds at most; a connection beyond "
        "it is answered 503 and closed at once. Lowered at start to the process's file limit "
        "minus a reserve for the database, log and outbound connections.",
    )
    first_byte_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a new connection may stay silent before its first request "
        "starts; then it is closed.",
    )
    header_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a client has to finish a request's line and headers once it has "
        "started them; then it is answered 408 and the connection closed.",
    )
    body_timeout: float = Field(
        20.0,
        gt=0,
        le=600,
        description="Seconds a client has to finish a request's body once the headers are in; "
        "then it is answered 408 (or, once a response has started, cut off).",
    )
    keep_alive_timeout: int = Field(
        5,
        ge=1,
        le=300,
        description="Seconds an idle keep-alive connection is kept open between requests.",
    )
    max_url_bytes: int = Field(
        8192,
        ge=256,
        le=1_048_576,
        description="Longest request target (path and query) accepted; longer ones are "
        "answered 414. Larger authorization requests go through PAR (RFC 9126).",
    )
    max_header_bytes: int = Field(
        16384,
        ge=1024,
        le=1_048_576,
        description="Most bytes of header names and values in one request; more is answered 431.",
    )
    max_headers: int = Field(
        100,
        ge=16,
        le=10_000,
        description="Most header fields in one request; more are answered 431.",
    )

    model_config = SettingsConfigDict(
        env_prefix="AUTHGATE_", frozen=True, extra="ignore", populate_by_name=True
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for item in _split(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"AUTHGATE_TRUSTED_PROXIES: {item!r} is not an IP address or network"
                ) from None
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """:attr:`trusted_proxies` parsed."""
        return tuple(
            ipaddress.ip_network(item, strict=False) for item in _split(self.trusted_proxies)
        )

    @field_validator("issuer_url")
    @classmethod
    def _issuer_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("issuer must be an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("issuer must not have a query or fragment (RFC 8414 §2)")
        return value.rstrip("/")

    @property
    def issuer(self) -> str:
        """The issuer identifier, e.g. ``http://127.0.0.1:8080``."""
        return self.issuer_url or f"http://{self.host}:{self.port}"

    @property
    def database(self) -> str:
        """The SQLAlchemy URL in use."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'authgate.db').resolve()}"


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def normalise_database_url(url: str) -> str:
    """Map plain ``postgresql://``/``sqlite://`` URLs to the async drivers authgate uses."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and "+" not in url.split("://", 1)[0]:
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url
