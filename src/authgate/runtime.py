"""Assembling a running server: engine, stores, configuration, keys, first-start bootstrap.

``Runtime.start`` is called from the ASGI lifespan (or by tests); it creates whatever a fresh
database lacks (configuration document, signing key, standard scopes, first user). Changes
made by another process sharing the database (another instance, another worker, the CLI)
reach this one through the change feed within milliseconds (:mod:`authgate.changes`,
:mod:`authgate.storage.change_feed`); polling the configuration and keys every
``config_poll_interval`` seconds stays as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from authgate.admin.bootstrap import ensure_admin_client
from authgate.appconfig import AppConfiguration
from authgate.changes import ChangeApplier
from authgate.core.ports import (
    Clock,
    Federation,
    Mailer,
    NoMailer,
    PasswordHasher,
    SealingKeyUnavailable,
    Services,
)
from authgate.core.rate_limiter import RateLimiter
from authgate.core.types import Scope, User
from authgate.crypto import key_file
from authgate.crypto.keys import KeyRing
from authgate.crypto.passwords import hasher_for
from authgate.crypto.rotation import publish_delay
from authgate.metrics.events import CountingEventLog
from authgate.outbound import (
    HttpRequestObjectFetcher,
    HttpSectorIdentifierFetcher,
    OutboundClient,
    OutboundPolicy,
)
from authgate.outbound.backchannel import BackchannelLogout
from authgate.outbound.jwks import HttpJwksSource
from authgate.outbound.smtp import SmtpSender, SmtpSettings
from authgate.outbound.upstream import HttpUpstream
from authgate.settings import Settings
from authgate.startup.database import database_target, migration_refused
from authgate.startup.mail import check_mail
from authgate.storage.accounts import SqlAccountStore
from authgate.storage.admin import SqlAdminStore
from authgate.storage.assertions import SqlAssertionStore
from authgate.storage.change_feed import ChangeFeed, change_feed
from authgate.storage.clients import SqlClientStore
from authgate.storage.configuration import SqlConfigurationStore, SqlKeyStore
from authgate.storage.connect import MigrationRefused, open_database, upgrade
from authgate.storage.devices import SqlDeviceAuthorizationStore
from authgate.storage.email_links import SqlEmailLinkStore
from authgate.storage.engine import Database, IntegrityViolation
from authgate.storage.factors import SqlFactorStore
from authgate.storage.failures import SYNC_INTERVAL, SqlFailureStore
from authgate.storage.federation import SqlFederationStore
from authgate.storage.grants import SqlGrantStore
from authgate.storage.initial_tokens import SqlInitialAccessTokenStore
from authgate.storage.janitor import purge_expired
from authgate.storage.leases import SqlLeaseStore
from authgate.storage.logout_deliveries import SqlLogoutDeliveryStore
from authgate.storage.par import SqlParStore
from authgate.storage.passkeys import SqlPasskeyStore
from authgate.storage.rate_counters import SqlRateCounterStore
from authgate.storage.replay import SqlReplayCache
from authgate.storage.security_events import SqlSecurityEventLog
from authgate.storage.sessions import SqlConsentStore, SqlInteractionStore, SqlSessionStore
from authgate.storage.users import SqlScopeStore, SqlUserStore
from authgate.upkeep import KeyUpkeep
from authgate.web.mail import TemplateMailer

logger = logging.getLogger(__name__)

STANDARD_SCOPES = (
    Scope("openid", "Sign you in with your account", (), True),
    Scope(
        "profile",
        "Your name and username",
        ("name", "given_name", "family_name", "preferred_username", "updated_at"),
        True,
    ),
    Scope("email", "Your email address", ("email", "email_verified"), True),
    Scope("offline_access", "Keep access while you are away", (), True),
)


class SystemClock:
    def now(self) -> float:
        return time.time()


class LiveConfig:
    """The configuration in force, refreshed when the stored revision changes."""

    def __init__(self, revision: int, config: AppConfiguration) -> None:
        self.revision = revision
        self._config = config

    @property
    def current(self) -> AppConfiguration:
        return self._config

    def replace(self, revision: int, config: AppConfiguration) -> None:
        self.revision = revision
        self._config = config


@dataclass
class FirstStart:
    """What the bootstrap created that an operator must be told about once."""

    admin_username: str | None = None
    admin_password: str | None = None
    admin_client_id: str | None = None
    admin_client_secret: str | None = None


async def _ensure_config(store: SqlConfigurationStore, now: float) -> tuple[int, AppConfiguration]:
    loaded = await store.load()
    if loaded is None:
        await store.create(AppConfiguration().to_document(), now)
        loaded = await store.load()
        assert loaded is not None
    revision, document = loaded
    return revision, AppConfiguration.from_document(document)


async def _ensure_scopes(store: SqlScopeStore) -> None:
    existing = {s.scope_id for s in await store.all()}
    for scope in STANDARD_SCOPES:
        if scope.scope_id not in existing:
            with contextlib.suppress(IntegrityViolation):
                await store.add(scope)


async def _ensure_first_user(
    users: SqlUserStore, passwords: PasswordHasher, settings: Settings, now: float
) -> FirstStart:
    if await users.count() > 0:
        return FirstStart()
    password = settings.admin_password or secrets.token_urlsafe(12)
    user = User(
        user_id=str(uuid.uuid4()),
        username=settings.admin_username,
        password_hash=passwords.hash(password),
        name="Administrator",
        given_name="Admin",
        family_name="User",
        email=f"{settings.admin_username}@localhost",
        email_verified=False,
        created_at=int(now),
    )
    try:
        await users.add(user)
    except IntegrityViolation:
        return FirstStart()
    generated = None if settings.admin_password else password
    return FirstStart(admin_username=user.username, admin_password=generated)


def sealing_key_file(settings: Settings) -> Path:
    """Where the sealing key is kept when ``AUTHGATE_SEALING_KEY`` is not set: next to the
    SQLite database file, else in the data directory."""
    url = make_url(settings.database)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).resolve().parent / "sealing.key"
    return settings.data_dir.resolve() / "sealing.key"


def sealing_key(settings: Settings) -> Callable[[], str]:
    """The key that seals upstream providers' client secrets in the database (read when
    first needed): ``AUTHGATE_SEALING_KEY``, or else a random key kept in
    :func:`sealing_key_file` (made on first use, readable by its owner only). Instances
    sharing a database must share it (docs/federation.md)."""
    held: list[str] = []

    def key() -> str:
        if settings.sealing_key:
            return settings.sealing_key
        if not held:
            path = sealing_key_file(settings)
            try:
                held.append(key_file.read_or_create(path))
            except key_file.KeyFileError as exc:
                raise SealingKeyUnavailable(str(exc)) from None
            except OSError as exc:
                raise SealingKeyUnavailable(f"cannot read or make {path}: {exc}") from None
        return held[0]

    return key


class Runtime:
    """A started server's shared state. Build with :meth:`start`, end with :meth:`stop`."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        services: Services,
        live_config: LiveConfig,
        config_store: SqlConfigurationStore,
        key_store: SqlKeyStore,
        keyring: KeyRing,
        first_start: FirstStart,
        outbound: OutboundClient,
        backchannel: BackchannelLogout,
        *,
        key_upkeep: KeyUpkeep,
        rate_limits: RateLimiter,
        failures: SqlFailureStore,
        changes: ChangeFeed,
    ) -> None:
        self.settings = settings
        self.db = db
        self.services = services
        self.live_config = live_config
        self.config_store = config_store
        self.key_store = key_store
        self.keyring = keyring
        self.first_start = first_start
        self.key_upkeep = key_upkeep
        self.outbound = outbound
        self.backchannel = backchannel
        #: The per-source rate limits (counted by :mod:`authgate.web.rate_limits`).
        self.rate_limits = rate_limits
        #: Announces this process's changes to the others, and hears theirs once listening.
        self.changes = changes
        self.applier = ChangeApplier(services.clients, services.scopes, self.refresh)
        #: Sends self-service mail (None without ``AUTHGATE_SMTP_HOST``).
        self.smtp: SmtpSender | None = None
        self._poller: asyncio.Task[None] | None = None
        self._rate_sync: asyncio.Task[None] | None = None
        self.failures = failures
        self._failure_sync: asyncio.Task[None] | None = None
        self._deliveries: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        migrate: bool = True,
        passwords: PasswordHasher | None = None,
        clock: Clock | None = None,
        poll: bool = True,
        serves_pages: bool = True,
    ) -> Runtime:
        """Start the runtime. ``serves_pages=False`` (the local admin commands) skips the
        check that the self-service pages' mail can be sent (:func:`check_mail`): those
        commands send none, and one of them is how an operator switches the pages off."""
        url = settings.database
        if migrate:
            try:
                await upgrade(url)
            except MigrationRefused as exc:
                raise migration_refused(database_target(settings), exc) from None
        db = await open_database(url, sqlite_commit_delay=settings.sqlite_commit_delay)
        clock = clock or SystemClock()
        passwords = passwords or hasher_for(settings.password_hash_cost)
        if settings.password_hash_cost != "standard":  # noqa: S105 - a cost name
            logger.warning(
                "AUTHGATE_PASSWORD_HASH_COST=%s: new password hashes are cheap to attack; "
                "this setting is for test suites, never for a server users rely on",
                settings.password_hash_cost,
            )
        now = clock.now()
        config_store = SqlConfigurationStore(db)
        key_store = SqlKeyStore(db)
        revision, config = await _ensure_config(config_store, now)
        live = LiveConfig(revision, config)
        if serves_pages:
            check_mail(settings, config)
        smtp = SmtpSettings.from_settings(settings)
        smtp_sender = SmtpSender(smtp) if smtp is not None else None
        mail: Mailer = (
            TemplateMailer(smtp_sender.submit, smtp_sender.smtp.sender)
            if smtp_sender is not None
            else NoMailer()
        )
        changes = change_feed(db, url, poll_interval=settings.change_poll_interval)
        clients = SqlClientStore(db, changes=changes)
        key_upkeep = KeyUpkeep(
            store=key_store,
            leases=SqlLeaseStore(db),
            clients=clients,
            config=live,
            clock=clock,
            publish_delay=publish_delay(settings.config_poll_interval),
            changes=changes,
        )
        keyring = KeyRing(await key_upkeep.bootstrap(), clock.now)
        scopes = SqlScopeStore(db)
        await _ensure_scopes(scopes)
        users = SqlUserStore(db)
        first = await _ensure_first_user(users, passwords, settings, now)
        admin = await ensure_admin_client(
            SqlAdminStore(db),
            scopes,
            clients,
            now,
            client_id=settings.admin_client_id,
            client_secret=settings.admin_client_secret,
        )
        scopes.forget()  # the bootstrap wrote past these caches
        clients.forget()
        if admin is not None:
            first.admin_client_id = admin.client_id
            first.admin_client_secret = admin.client_secret
        outbound = OutboundClient(OutboundPolicy.from_settings(settings))
        events = CountingEventLog(SqlSecurityEventLog(db))
        backchannel = BackchannelLogout(outbound, live, SqlLogoutDeliveryStore(db), events)
        failures = SqlFailureStore(db)
        services = Services(
            issuer=settings.issuer,
            config=live,
            clients=clients,
            users=users,
            scopes=scopes,
            sessions=SqlSessionStore(db),
            interactions=SqlInteractionStore(db),
            consents=SqlConsentStore(db),
            grants=SqlGrantStore(db),
            keys=keyring,
            passwords=passwords,
            clock=clock,
            pushed=SqlParStore(db),
            replay=SqlReplayCache(db),
            assertions=SqlAssertionStore(db),
            jwks=HttpJwksSource(outbound),
            logout=backchannel,
            events=events,
            initial_tokens=SqlInitialAccessTokenStore(db),
            devices=SqlDeviceAuthorizationStore(db),
            failures=failures,
            account=SqlAccountStore(db),
            factors=SqlFactorStore(db),
            passkeys=SqlPasskeyStore(db),
            sector_identifiers=HttpSectorIdentifierFetcher(
                outbound, allow_http_loopback=settings.sector_identifier_allow_http_loopback
            ),
            request_objects=HttpRequestObjectFetcher(outbound),
            links=SqlEmailLinkStore(db),
            mail=mail,
            federation=Federation(
                SqlFederationStore(db), HttpUpstream(outbound), sealing_key(settings)
            ),
        )
        runtime = cls(
            settings,
            db,
            services,
            live,
            config_store,
            key_store,
            keyring,
            first,
            outbound,
            backchannel,
            key_upkeep=key_upkeep,
            rate_limits=RateLimiter(
                SqlRateCounterStore(db),
                live,
                clock,
                services.events,
                stale_after=settings.rate_limit_sync_interval,
            ),
            failures=failures,
            changes=changes,
        )
        runtime.smtp = smtp_sender
        if poll:
            await runtime.listen()
            runtime._poller = asyncio.create_task(runtime._poll_forever())
            runtime._rate_sync = asyncio.create_task(
                runtime.rate_limits.run(settings.rate_limit_sync_interval)
            )
            runtime._failure_sync = asyncio.create_task(runtime._sync_failures_forever())
        return runtime

    async def sync_failures(self) -> int:
        """Learn which keys other instances counted failed guesses on (brute-force
        protection's screening, :mod:`authgate.storage.failures`)."""
        window = self.live_config.current.authenticationProtectionConfiguration.attemptExpiration
        return await self.failures.sync(self.services.clock.now(), window)

    async def _sync_failures_forever(self) -> None:
        while True:
            try:
                await self.sync_failures()
            except Exception:  # screening falls back on what this instance knows
                logger.exception("reading recent authentication failures failed")
            await asyncio.sleep(SYNC_INTERVAL)

    async def refresh(self) -> None:
        """Pick up configuration and key changes made elsewhere."""
        revision = await self.config_store.revision()
        if revision is not None and revision != self.live_config.revision:
            loaded = await self.config_store.load()
            if loaded is not None:
                self.live_config.replace(loaded[0], AppConfiguration.from_document(loaded[1]))
                logger.info("configuration revision %d loaded", loaded[0])
        keys = await self.key_store.all()
        if keys and set(keys) != set(self.keyring.stored):
            self.keyring.load(keys)

    async def listen(self) -> None:
        """Apply other processes' changes as they are announced, and deliver the back-channel
        logout notices that are due (a serving process does both; :meth:`start` with ``poll``
        calls this)."""
        await self.changes.start(self.applier.apply)
        self._deliveries = asyncio.create_task(self.backchannel.run())

    async def upkeep(self) -> None:
        """Run what the signing key schedule says is due, and load the result."""
        if await self.key_upkeep.tick(self.keyring):
            keys = await self.key_store.all()
            if keys:
                self.keyring.load(keys)

    async def _poll_forever(self) -> None:
        next_cleanup = time.monotonic() + self.settings.cleanup_interval
        while True:
            await asyncio.sleep(self.settings.config_poll_interval)
            try:
                await self.refresh()
                await self.upkeep()
            except Exception:  # keep serving with the last good configuration and keys
                logger.exception("configuration refresh or key upkeep failed")
            if time.monotonic() >= next_cleanup:
                next_cleanup = time.monotonic() + self.settings.cleanup_interval
                try:
                    counts = await purge_expired(self.db, self.services.clock.now())
                    if any(counts.values()):
                        logger.info("purged expired rows: %s", counts)
                except Exception:
                    logger.exception("purging expired rows failed")

    async def stop(self) -> None:
        await self.changes.close()
        await self.applier.close()
        for task in (self._poller, self._rate_sync, self._failure_sync, self._deliveries):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            await self.rate_limits.sync()  # hand this process's last counts to the others
        except Exception:
            logger.exception("synchronising rate limit counters at shutdown failed")
        await self.backchannel.close()
        if self.smtp is not None:
            await self.smtp.close()
        await self.outbound.aclose()
        await self.services.events.flush()
        await self.db.close()
