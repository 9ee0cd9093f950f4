"""Process settings: where the server listens, its issuer and its database.

These are deployment facts read once at start (environment variables prefixed ``AUTHGATE_``,
or CLI flags); behaviour that operators tune at run time lives in the auth-server
configuration document (:mod:`authgate.appconfig`). Only :mod:`authgate.cli` builds a
``Settings`` from the environment; everything else receives one as an argument.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK_NETWORKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


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
        "local HTTP server; this also adds the loopback networks to `outbound_allow`. Never "
        "enable in production: OIDC Registration §2 requires https.",
    )
    outbound_allow: str = Field(
        "",
        description="Comma-separated networks, addresses and host names (e.g. "
        "`10.1.0.0/16,127.0.0.1,keys.internal`) that the requests authgate makes to clients' "
        "URLs (sector_identifier_uri, jwks_uri, back-channel logout) may reach although they "
        "are not public. Empty (the default): only public addresses; loopback, private, "
        "link-local, multicast and reserved ones are refused, after DNS resolution, before "
        "connecting.",
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

    @field_validator("outbound_allow")
    @classmethod
    def _outbound_allowances(cls, value: str) -> str:
        for item in _split(value):
            if _network(item) is None and not _HOST_NAME.fullmatch(item):
                raise ValueError(
                    f"AUTHGATE_OUTBOUND_ALLOW: {item!r} is not an IP address, network or host name"
                )
        return value

    @property
    def outbound_allowed_networks(self) -> tuple[IPNetwork, ...]:
        """The networks of :attr:`outbound_allow` (and loopback, with the test-only
        :attr:`sector_identifier_allow_http_loopback`)."""
        items = [_network(item) for item in _split(self.outbound_allow)]
        networks = tuple(n for n in items if n is not None)
        if self.sector_identifier_allow_http_loopback:
            networks += LOOPBACK_NETWORKS
        return networks

    @property
    def outbound_allowed_hosts(self) -> frozenset[str]:
        """The host names of :attr:`outbound_allow`, lower-cased."""
        return frozenset(
            item.lower() for item in _split(self.outbound_allow) if _network(item) is None
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


def _network(item: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(item, strict=False)
    except ValueError:
        return None


def normalise_database_url(url: str) -> str:
    """Map plain ``postgresql://``/``sqlite://`` URLs to the async drivers authgate uses."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and "+" not in url.split("://", 1)[0]:
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url
