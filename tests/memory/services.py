"""``make_services``: the protocol core's :class:`Services` over memory stores, and the
one-line helpers a core test needs to put a user, a client or a login session in place."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Sequence
from typing import Any, TypedDict, TypeVar, Unpack

from authgate.core.authorize.interaction import PASSWORD_ACR, PASSWORD_AMR
from authgate.core.ports import (
    AccountStore,
    AssertionStore,
    ClientStore,
    Clock,
    ConfigSource,
    ConsentStore,
    DeviceAuthorizationStore,
    EmailLinkStore,
    FactorStore,
    FailureStore,
    Federation,
    GrantStore,
    InitialAccessTokenStore,
    InteractionStore,
    JwksSource,
    KeyRing,
    LogoutNotifier,
    Mailer,
    ParStore,
    PasskeyStore,
    PasswordHasher,
    ReplayCache,
    RequestObjectFetcher,
    ScopeStore,
    SectorIdentifierFetcher,
    SecurityEventLog,
    Services,
    SessionStore,
    UserStore,
)
from authgate.core.types import Client, ClientMetadata, LoginSession, User
from authgate.crypto import keys
from authgate.crypto.handles import handle_hash, new_handle
from authgate.runtime import STANDARD_SCOPES
from tests.memory.doubles import (
    Outbox,
    RecordingLogoutNotifier,
    RecordingSecurityEvents,
    StaticConfig,
    StaticJwksSource,
    StaticRequestObjects,
    StaticSectorIdentifiers,
    StaticUpstream,
)
from tests.memory.stores import (
    MemoryAccountStore,
    MemoryAssertionStore,
    MemoryClientStore,
    MemoryConsentStore,
    MemoryDeviceAuthorizationStore,
    MemoryEmailLinkStore,
    MemoryFactorStore,
    MemoryFailureStore,
    MemoryFederationStore,
    MemoryGrantStore,
    MemoryInitialAccessTokenStore,
    MemoryInteractionStore,
    MemoryParStore,
    MemoryPasskeyStore,
    MemoryReplayCache,
    MemoryScopeStore,
    MemorySessionStore,
    MemoryUserStore,
    Tables,
)
from tests.support import ISSUER, PASSWORD, REDIRECT_URI, USERNAME, FakeClock, fast_hasher

#: When the shared signing keys were made: before any clock a test is likely to start.
KEYS_CREATED_AT = 1_700_000_000
SIGNING_ALGORITHMS = ("RS256", "ES256", "PS256")
#: The sealing key of upstream providers' client secrets in :func:`make_services`.
SEALING_KEY = "memory-services-sealing-key-0123456789abcdef"

T = TypeVar("T")


class ServiceOverrides(TypedDict, total=False):
    """Fields of :class:`Services` that :func:`make_services` may be given instead."""

    issuer: str
    config: ConfigSource
    clients: ClientStore
    users: UserStore
    scopes: ScopeStore
    sessions: SessionStore
    interactions: InteractionStore
    consents: ConsentStore
    grants: GrantStore
    keys: KeyRing
    passwords: PasswordHasher
    clock: Clock
    pushed: ParStore
    replay: ReplayCache
    assertions: AssertionStore
    jwks: JwksSource
    logout: LogoutNotifier
    events: SecurityEventLog
    initial_tokens: InitialAccessTokenStore
    failures: FailureStore
    account: AccountStore
    devices: DeviceAuthorizationStore
    factors: FactorStore
    passkeys: PasskeyStore
    sector_identifiers: SectorIdentifierFetcher
    federation: Federation | None
    request_objects: RequestObjectFetcher
    links: EmailLinkStore | None
    mail: Mailer


@functools.cache
def signing_keys() -> tuple[keys.StoredKey, ...]:
    """One key per algorithm authgate signs with, generated once per test session (RSA key
    generation is slow)."""
    return tuple(keys.generate_key(alg, created_at=KEYS_CREATED_AT) for alg in SIGNING_ALGORITHMS)


class SharedKeyRing(keys.KeyRing):
    """The key ring of every :func:`make_services` that is not given one: parsing the RSA
    keys costs about 0.1 s, more than a whole core test, so it is done once per session.

    Sharing is safe because its key set cannot change: :meth:`load` refuses after the first
    call, and the keys neither activate nor expire, so the ring's clock never matters. A
    test that rotates keys passes its own ``keys=keys.KeyRing(...)``.
    """

    _frozen = False

    def __init__(self, stored: Sequence[keys.StoredKey]) -> None:
        super().__init__(stored, lambda: float(KEYS_CREATED_AT))
        self._frozen = True

    def load(self, stored: Sequence[keys.StoredKey]) -> None:
        if self._frozen:
            raise TypeError("the shared key ring cannot change: pass keys=KeyRing(...)")
        super().load(stored)


@functools.cache
def shared_key_ring() -> SharedKeyRing:
    """The one :class:`SharedKeyRing` over :func:`signing_keys`."""
    return SharedKeyRing(signing_keys())


def make_services(**overrides: Unpack[ServiceOverrides]) -> Services:
    """Services over fresh, empty memory stores (the standard scopes seeded).

    Defaults: issuer ``tests.support.ISSUER``; ``AppConfiguration()`` in a
    :class:`StaticConfig`; a :class:`FakeClock` (moved only by :func:`advance`); argon2id at
    minimal cost; the real key ring over :func:`signing_keys` (:func:`shared_key_ring`); a
    :class:`StaticJwksSource` and :class:`StaticSectorIdentifiers` with nothing published;
    a :class:`RecordingLogoutNotifier`. Any field can be replaced by keyword.
    """
    unknown = set(overrides) - {f.name for f in dataclasses.fields(Services)}
    if unknown:
        raise TypeError(f"Services has no field(s) {sorted(unknown)}")
    clock = overrides.get("clock") or FakeClock()
    tables = Tables()
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "config": StaticConfig(),
        "clients": MemoryClientStore(tables),
        "users": MemoryUserStore(tables),
        "scopes": MemoryScopeStore(tables, STANDARD_SCOPES),
        "sessions": MemorySessionStore(tables),
        "interactions": MemoryInteractionStore(tables),
        "consents": MemoryConsentStore(tables),
        "grants": MemoryGrantStore(tables),
        "passwords": fast_hasher(),
        "clock": clock,
        "pushed": MemoryParStore(tables),
        "replay": MemoryReplayCache(tables),
        "assertions": MemoryAssertionStore(tables),
        "jwks": StaticJwksSource(),
        "logout": RecordingLogoutNotifier(),
        "events": RecordingSecurityEvents(),
        "initial_tokens": MemoryInitialAccessTokenStore(tables),
        "failures": MemoryFailureStore(tables),
        "account": MemoryAccountStore(tables),
        "devices": MemoryDeviceAuthorizationStore(tables),
        "factors": MemoryFactorStore(tables),
        "passkeys": MemoryPasskeyStore(tables),
        "sector_identifiers": StaticSectorIdentifiers(),
        "federation": Federation(
            MemoryFederationStore(tables), StaticUpstream(), lambda: SEALING_KEY
        ),
        "request_objects": StaticRequestObjects(),
        "links": MemoryEmailLinkStore(tables),
        "mail": Outbox(),
    }
    if "keys" not in overrides:
        values["keys"] = shared_key_ring()
    values.update(overrides)
    return Services(**values)


def double(port: object, kind: type[T]) -> T:
    """The double behind a port, typed: ``double(svc.logout, RecordingLogoutNotifier)``.

    Raises:
        TypeError: the port is something else (it was overridden).
    """
    if not isinstance(port, kind):
        raise TypeError(f"{type(port).__name__} is not a {kind.__name__}")
    return port


def advance(svc: Services, seconds: float) -> float:
    """Move the services' :class:`FakeClock` forward; returns the new time."""
    clock = double(svc.clock, FakeClock)
    clock.advance(seconds)
    return clock.now()


async def add_user(
    svc: Services, username: str = USERNAME, password: str = PASSWORD, **fields: Any
) -> User:
    """Store an enabled user who logs in with ``password``; ``fields`` set other members of
    :class:`User` (``email``, ``enabled``, ...)."""
    user = User(
        user_id=str(uuid.uuid4()),
        username=username,
        password_hash=svc.passwords.hash(password),
        created_at=int(svc.clock.now()),
        **fields,
    )
    await svc.users.add(user)
    return user


_METADATA_MEMBERS = frozenset(f.name for f in dataclasses.fields(ClientMetadata) if f.init)


async def add_client(
    svc: Services,
    *,
    client_id: str | None = None,
    secret: str | None = None,
    expires_at: int | None = None,
    disabled: bool = False,
    registration_token: str | None = None,
    **metadata: Any,
) -> Client:
    """Store a client without going through registration's checks.

    By default a public client (``none``) of the flow document: redirect URI
    ``tests.support.REDIRECT_URI``, scopes openid profile email, the authorization_code
    grant. With ``secret`` it authenticates with ``client_secret_basic`` unless
    ``token_endpoint_auth_method`` says otherwise. ``metadata`` are members of
    :class:`ClientMetadata`; lists are accepted for tuples. Without ``registration_token``
    the client is as an administrator creates it; with one, as dynamic registration does.

    Raises:
        TypeError: a name in ``metadata`` that ClientMetadata does not have.
    """
    unknown = set(metadata) - _METADATA_MEMBERS
    if unknown:
        raise TypeError(f"ClientMetadata has no member(s) {sorted(unknown)}")
    defaults: dict[str, Any] = {
        "client_name": "Memory Test Client",
        "redirect_uris": [REDIRECT_URI],
        "scope": ["openid", "profile", "email"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none" if secret is None else "client_secret_basic",
    }
    client = Client(
        client_id=client_id or str(uuid.uuid4()),
        metadata=ClientMetadata.from_json(defaults | metadata),
        client_id_issued_at=int(svc.clock.now()),
        secret_hash=handle_hash(secret) if secret is not None else None,
        registration_token_hash=handle_hash(registration_token) if registration_token else None,
        expires_at=expires_at,
        disabled=disabled,
    )
    await svc.clients.add(client)
    return client


async def add_session(
    svc: Services, user: User, *, auth_time: int | None = None
) -> tuple[LoginSession, str]:
    """Store a login session for ``user`` as a password login would open it now; returns it
    with the session cookie value. ``auth_time`` backdates the login (for ``max_age``)."""
    now = int(svc.clock.now())
    cookie = new_handle()
    session = LoginSession(
        session_hash=handle_hash(cookie),
        sid=str(uuid.uuid4()),
        user_id=user.user_id,
        auth_time=now if auth_time is None else auth_time,
        expires_at=now + svc.config.current.sessionIdLifetime,
        acr=PASSWORD_ACR,
        amr=PASSWORD_AMR,
    )
    await svc.sessions.add(session)
    return session, cookie
