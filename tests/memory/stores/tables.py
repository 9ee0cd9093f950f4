"""The rows the memory stores share: a dict (or set) per table of :mod:`authgate.storage.models`.

The stores are views over one :class:`Tables`, so the reads that join tables in SQL (a
session's user and consent) and the constraints that span them (a consent names an existing
client; deleting a client deletes its consents) work as they do in the database.

Concurrency: no store method awaits anything, so each runs to completion between two
event-loop steps; a check and the write that depends on it can never interleave with another
call. That gives the same atomicity and single-use guarantees as the SQL transactions without
an ``asyncio.Lock``. A method that must fail checks everything before it writes anything, so
a failed call stores nothing.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from authgate.core.federation.model import FederatedIdentity, PendingSignIn, Provider
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.types import (
    AuthorizationCode,
    Client,
    DeviceAuthorization,
    EmailLink,
    FailureKey,
    InitialAccessToken,
    Interaction,
    LoginSession,
    Scope,
    SecondFactor,
    TokenRecord,
    User,
)
from authgate.storage.engine import IntegrityViolation


@dataclass(slots=True)
class Consent:
    """A ``consents`` row: the scopes a user approved for a client."""

    scope: frozenset[str]
    granted_at: float


@dataclass(slots=True)
class Pushed:
    """A ``par_requests`` row; ``params`` as the JSON text the database keeps."""

    client_id: str
    params: bytes
    expires_at: float
    used_at: float | None = None


@dataclass(slots=True)
class RateCounter:
    """A ``rate_counters`` row."""

    hits: int
    expires_at: float
    reported: bool = False


@dataclass(slots=True)
class Failures:
    """An ``auth_failures`` row."""

    failures: int
    first_at: float
    last_at: float
    expires_at: float
    user_id: str | None = None


@dataclass(slots=True)
class RecoveryCode:
    """A ``recovery_codes`` row."""

    created_at: float
    used_at: float | None = None


@dataclass(slots=True)
class Tables:
    """Everything the memory stores hold, keyed like the tables' primary keys."""

    #: client_id -> client, its metadata held as JSON text (decoded on every read, as the
    #: SQL store does, so a caller mutating a returned mapping changes nothing stored).
    clients: dict[str, tuple[Client, bytes]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    scopes: dict[str, Scope] = field(default_factory=dict)
    sessions: dict[str, LoginSession] = field(default_factory=dict)
    interactions: dict[str, Interaction] = field(default_factory=dict)
    #: (user_id, client_id) -> consent
    consents: dict[tuple[str, str], Consent] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    #: (sid, client_id): the clients issued a code or token in a login session
    session_clients: set[tuple[str, str]] = field(default_factory=set)
    #: assertion key -> expires_at
    assertions: dict[str, float] = field(default_factory=dict)
    pushed: dict[str, Pushed] = field(default_factory=dict)
    #: DPoP jti key -> expires_at
    dpop_jtis: dict[str, float] = field(default_factory=dict)
    #: (family, source, window start) -> rate limit counter
    rate_counters: dict[tuple[str, str, int], RateCounter] = field(default_factory=dict)
    #: token_id -> initial access token (its ``uses`` and ``revoked_at`` replaced on change)
    initial_tokens: dict[str, InitialAccessToken] = field(default_factory=dict)
    failures: dict[FailureKey, Failures] = field(default_factory=dict)
    #: alias -> upstream identity provider
    providers: dict[str, Provider] = field(default_factory=dict)
    #: (alias, subject) -> federated identity
    links: dict[tuple[str, str], FederatedIdentity] = field(default_factory=dict)
    #: key -> pending upstream sign-in
    pending: dict[str, PendingSignIn] = field(default_factory=dict)
    #: device_code_hash -> device authorization request
    devices: dict[str, DeviceAuthorization] = field(default_factory=dict)
    #: link_hash -> mailed self-service link
    email_links: dict[str, EmailLink] = field(default_factory=dict)
    #: factor_id -> second factor
    factors: dict[str, SecondFactor] = field(default_factory=dict)
    #: (user_id, code_hash) -> [created_at, used_at]
    recovery_codes: dict[tuple[str, str], RecoveryCode] = field(default_factory=dict)
    #: credential_id -> passkey
    passkeys: dict[str, PasskeyCredential] = field(default_factory=dict)


def words(values: Iterable[str]) -> tuple[str, ...]:
    """What a space-joined column gives back (``scope``, ``amr``): ``" ".join`` then split."""
    return tuple(" ".join(values).split())


def require_new(table: Container[object], keys: Iterable[object], what: str) -> None:
    """Raise IntegrityViolation, as the database would, if a key is taken or repeated.

    Args:
        table: The dict or set keyed like the table's primary key.
        keys: The keys about to be inserted.
        what: The table's name, for the message.
    """
    seen: set[object] = set()
    for key in keys:
        if key in table or key in seen:
            raise IntegrityViolation(f"duplicate key in {what}")
        seen.add(key)


def remember(values: dict[str, float], key: str, expires_at: float, now: float) -> bool:
    """Single use until expiry: the SQL stores drop a lapsed row of ``key`` and insert."""
    held = values.get(key)
    if held is not None and held > now:
        return False
    values[key] = expires_at
    return True
