"""Process settings: where the server listens, its issuer and its database.

These are deployment facts read once at start (environment variables prefixed ``AUTHGATE_``,
or CLI flags); behaviour that operators tune at run time lives in the auth-server
configuration document (:mod:`authgate.appconfig`). Only :mod:`authgate.cli` builds a
``Settings`` from the environment; everything else receives one as an argument.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from authgate.cpu_limit import cpu_limit
from authgate.issuer import check_issuer, url_host

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: The value of ``management_address`` that turns the management listener off.
MANAGEMENT_OFF = "off"
LOOPBACK_NETWORKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
#: The most worker processes ``workers = auto`` starts, whatever the core count: each worker
#: holds its own database connections (up to 10 pooled on PostgreSQL, whose default
#: ``max_connections`` is 100) and, on SQLite, takes turns at the one writer lock.
AUTO_WORKERS_CAP = 8
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*")


class Settings(BaseSettings):
    """Typed process settings with documented defaults."""

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8080, ge=1, le=65535, description="TCP port to listen on.")
    issuer_url: str | None = Field(
        None,
        alias="AUTHGATE_ISSUER",
        description="Public issuer URL: https://host[:port] (http only on a loopback address), "
        "no path, query or fragment. Default: http://<host>:<port>, for a loopback host only.",
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
        "processes: the fallback for a lost change notice (notices apply such changes within "
        "milliseconds; docs/operations.md).",
    )
    change_poll_interval: float = Field(
        0.05,
        ge=0.01,
        le=5.0,
        description="SQLite only: seconds between a worker's looks at the change log, where "
        "workers, instances and the CLI sharing the database file announce changes to clients, "
        "scopes, the configuration and the signing keys (PostgreSQL is told at once, through "
        "LISTEN/NOTIFY). A change reaches every worker within about this long.",
    )
    worker_timeout: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="Seconds a worker of `--workers N` (N > 1) may go without turning its "
        "event loop before the supervisor kills it (SIGKILL) and starts another; each worker "
        "reports every second. 0 turns the check off.",
    )
    shutdown_timeout: int = Field(
        10,
        ge=0,
        le=600,
        description="Seconds a stopping server (SIGTERM, SIGINT) gives requests in flight to "
        "finish; it accepts no new connections meanwhile. Then queued writes are committed, "
        "and back-channel logout deliveries not yet done stay stored for the next start.",
    )
    cleanup_interval: float = Field(
        300.0, gt=0, description="Seconds between purges of expired codes, tokens and sessions."
    )
    workers: int = Field(
        "auto",
        ge=1,
        le=64,
        validate_default=True,
        description="Server worker processes: a number, or `auto` for one per core this "
        "process may run on (its CPU affinity, and no more than a container's CPU limit, "
        f"rounded up), at most {AUTO_WORKERS_CAP}. Extra workers "
        "are forked from the started server and share its code and start-up memory. One "
        "worker serves in the process itself; with more, a supervisor process restarts a "
        "worker that dies and the management listener runs in a process of its own.",
    )
    rate_limit_sync_interval: float = Field(
        0.2,
        ge=0.02,
        le=5.0,
        description="Seconds between the moments a process adds the requests it counted to "
        "the shared rate limit counters in the database and reads back the totals. Other "
        "workers and instances see a source's requests within about this long, which bounds "
        "how far several processes together can overshoot a limit (docs/security.md).",
    )
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
    sealing_key: str | None = Field(
        None,
        min_length=32,
        description="Key that seals upstream identity providers' client secrets in the "
        "database (docs/federation.md); use a long random value, the same on every instance "
        "of one database. Default: a random key kept in <data_dir>/sealing.key.",
    )
    outbound_allow: str = Field(
        "",
        description="Comma-separated networks, addresses and host names (e.g. "
        "`10.1.0.0/16,127.0.0.1,keys.internal`) that the requests authgate makes to clients' "
        "URLs (sector_identifier_uri, jwks_uri, request_uri, back-channel logout) may reach "
        "although they are not public. Empty (the default): only public addresses; loopback, "
        "private, link-local, multicast and reserved ones are refused, after DNS resolution, "
        "before connecting.",
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP server self-service mail (verification and password reset links) "
        "is sent through. Required when a self-service flow that sends mail is on.",
    )
    smtp_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="SMTP port (default: 587 with STARTTLS, 465 with implicit TLS, 25 without).",
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="`starttls` (upgrade the connection, required), `tls` (implicit TLS) or "
        "`none` (plain SMTP: only to a relay on the same host or network).",
    )
    smtp_username: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: SecretStr | None = Field(
        None, description="SMTP password (never printed or logged)."
    )
    smtp_from: str | None = Field(
        None,
        description="From address of self-service mail (default: no-reply@ the issuer's host).",
    )
    smtp_ca_file: Path | None = Field(
        None,
        description="PEM file of the CA certificates that may sign the SMTP server's TLS "
        "certificate (default: the system's).",
    )
    smtp_timeout: float = Field(
        30.0, gt=0, le=300, description="Seconds to wait for the SMTP server at each step."
    )
    log_level: str = Field("info", description="Log level for the authgate loggers.")
    password_hash_cost: Literal["standard", "minimal"] = Field(
        "standard",
        description="Cost of the argon2id hashes of user passwords. `standard`: RFC 9106's "
        "second recommended option (3 passes over 64 MiB, 4 lanes). `minimal`: 1 pass over "
        "1 MiB, for test suites only: never in production, it makes stolen hashes cheap to "
        "attack. Stored hashes verify under either.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`text`: one human-readable line per record; `json`: one JSON object per "
        "line (time, level, logger, message, request_id and the record's fields), for log "
        "collectors. docs/operations.md.",
    )
    theme_dir: Path | None = Field(
        None,
        description="A theme directory for the pages: `templates/` files override the "
        "package's templates of the same name, `static/` files are served under "
        "/jans-auth/theme/ (`static/theme.css` is linked from every page). docs/theming.md. "
        "Read at start.",
    )
    access_log: bool = Field(
        False,
        description="Log one line per request on logger `authgate.access`: method, route "
        "template, status, duration, request id and source address (never the query string, "
        "which carries codes and tokens).",
    )
    management_address: str = Field(
        "127.0.0.1:9000",
        description="`host:port` of the management listener: Prometheus metrics at `/metrics` "
        "and the probes `/health/live` and `/health/ready` (also on the main port). Never the "
        "public port; keep it private. `off` disables it. docs/operations.md.",
    )
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

    @field_validator("workers", mode="before")
    @classmethod
    def _auto_workers(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return min(available_cores(), AUTO_WORKERS_CAP)
        return value

    @field_validator("theme_dir")
    @classmethod
    def _theme_is_a_directory(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("management_address")
    @classmethod
    def _management_shape(cls, value: str) -> str:
        value = value.strip()
        if value.lower() == MANAGEMENT_OFF:
            return MANAGEMENT_OFF
        split_address(value)
        return value

    @model_validator(mode="after")
    def _management_is_not_public(self) -> Settings:
        address = self.management
        if address is not None and address[1] == self.port:
            raise ValueError(
                "AUTHGATE_MANAGEMENT_ADDRESS: the management listener needs a port of its own, "
                f"not the public port {self.port}"
            )
        return self

    @property
    def management(self) -> tuple[str, int] | None:
        """:attr:`management_address` as ``(host, port)``; None when it is ``off``."""
        if self.management_address == MANAGEMENT_OFF:
            return None
        return split_address(self.management_address)

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
        """:attr:`trusted_proxies` parsed (once per distinct value: every rate-limited
        request asks)."""
        return _networks(self.trusted_proxies)

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
        return None if value is None else check_issuer(value)

    @property
    def issuer(self) -> str:
        """The issuer identifier, e.g. ``http://127.0.0.1:8080``."""
        return self.issuer_url or f"http://{url_host(self.host)}:{self.port}"

    @property
    def database(self) -> str:
        """The SQLAlchemy URL in use."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'authgate.db').resolve()}"


def available_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system has one, else
    every core of the machine, and no more than its control group's CPU limit (a container's
    ``--cpus``; :mod:`authgate.cpu_limit`)."""
    try:
        cores = len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # no affinity (macOS)
        cores = os.cpu_count() or 1
    limit = cpu_limit()
    return cores if limit is None else min(cores, limit)


def split_address(value: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` as ``(host, port)``.

    Raises:
        ValueError: not of that shape, or the port is out of range.
    """
    host, sep, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(
            f"AUTHGATE_MANAGEMENT_ADDRESS: {value!r} is not host:port (e.g. 127.0.0.1:9000) "
            f"or {MANAGEMENT_OFF!r}"
        )
    return host, int(port)


@functools.lru_cache(maxsize=8)
def _networks(value: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in _split(value))


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
