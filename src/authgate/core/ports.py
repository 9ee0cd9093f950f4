"""The interfaces the protocol core needs from the outside world (storage, keys, time).

Code that touches a port is ``async``; storage adapters implement these in
:mod:`authgate.storage`. Each mutating method is atomic on its own: the adapter owns the
transaction, so the core never sees a half-written grant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from authgate.appconfig import AppConfiguration
from authgate.core.federation.model import FederatedIdentity, PendingSignIn, Provider
from authgate.core.types import (
    AuthorizationCode,
    Client,
    FailureCount,
    FailureKey,
    InitialAccessToken,
    Interaction,
    LoginSession,
    LogoutNotice,
    PushedRequest,
    Scope,
    SecurityEvent,
    SessionState,
    TokenRecord,
    User,
)
from authgate.errors import InvalidClientMetadata


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class ConfigSource(Protocol):
    @property
    def current(self) -> AppConfiguration:
        """The configuration in force now (cheap: no I/O)."""
        ...


class ClientStore(Protocol):
    async def add(self, client: Client) -> None: ...
    async def get(self, client_id: str, *, fresh: bool = False) -> Client | None:
        """The client; ``fresh`` reads the database even if a cached copy is at hand."""
        ...

    async def replace(self, client: Client, *, expected_token_hash: str | None = None) -> bool:
        """Store ``client`` over the existing one; False if it no longer exists or, with
        ``expected_token_hash``, if its registration access token is no longer that one
        (so of two updates presenting one token only the first lands)."""
        ...

    async def delete(self, client_id: str) -> bool: ...
    async def find_by_attributes(self, attributes: Mapping[str, str]) -> list[Client]:
        """Clients whose custom attributes include every given name=value pair."""
        ...

    def forget(self, client_id: str | None = None) -> None:
        """Drop any cached copy of ``client_id`` (of every client when None), after a change
        made past this store (the administration's writes)."""
        ...


class UserStore(Protocol):
    async def add(self, user: User) -> None: ...
    async def get(self, user_id: str) -> User | None: ...
    async def get_by_username(self, username: str) -> User | None: ...
    async def set_password(self, user_id: str, password_hash: str) -> bool: ...
    async def list(self, limit: int = 100, offset: int = 0) -> list[User]: ...


class ScopeStore(Protocol):
    async def all(self) -> list[Scope]: ...
    async def add(self, scope: Scope) -> None: ...
    def forget(self) -> None:
        """Drop any cached copy of the scopes, after a change made past this store."""
        ...


class SessionStore(Protocol):
    async def add(self, session: LoginSession) -> None: ...
    async def get(self, session_hash: str) -> LoginSession | None: ...
    async def state(self, session_hash: str, client_id: str) -> SessionState | None:
        """The session with its user's standing and consent for ``client_id``, in one read."""
        ...

    async def end(self, session_hash: str) -> None: ...


class InteractionStore(Protocol):
    async def add(self, interaction: Interaction) -> None: ...
    async def get(self, interaction_id: str) -> Interaction | None: ...
    async def replace(self, interaction: Interaction) -> None: ...
    async def delete(self, interaction_id: str) -> bool:
        """Remove it; True only for the caller that removed it (single use)."""
        ...


class ConsentStore(Protocol):
    async def granted(self, user_id: str, client_id: str) -> frozenset[str]: ...
    async def grant(self, user_id: str, client_id: str, scope: Iterable[str], now: float) -> bool:
        """Add ``scope`` to the user's consent for the client; False (nothing written) when
        the client no longer exists."""
        ...


class GrantStore(Protocol):
    """Authorization codes and the tokens minted from them."""

    async def add_code(self, code: AuthorizationCode, tokens: Sequence[TokenRecord] = ()) -> None:
        """Store a new code and the tokens issued with it (hybrid flows), atomically, and
        record that its client takes part in the login session ``code.sid`` (for logout)."""
        ...

    async def add_tokens(self, tokens: Sequence[TokenRecord]) -> None:
        """Store tokens issued without a code (implicit, client_credentials), atomically;
        tokens with a ``sid`` record their client's part in that login session."""
        ...

    async def get_code(self, code_hash: str) -> AuthorizationCode | None: ...
    async def redeem_code(self, code_hash: str, now: float, tokens: Sequence[TokenRecord]) -> bool:
        """Mark the code consumed and store ``tokens``, atomically.

        Returns False (and stores nothing) when the code was already consumed; of N
        concurrent calls for one code exactly one returns True.
        """
        ...

    async def revoke_grant(self, grant_id: str, now: float) -> int:
        """Revoke every token of the grant; returns how many were revoked."""
        ...

    async def get_token(self, token_hash: str) -> TokenRecord | None: ...

    async def rotate_refresh_token(
        self,
        token_hash: str,
        now: float,
        tokens: Sequence[TokenRecord],
        successor: str | None = None,
    ) -> bool:
        """Mark a refresh token used and store its successors, atomically (single use).

        ``successor`` (the sealed successor values) is stored on the used token in the same
        transaction. Returns False, storing nothing, if the token was already used or revoked.
        """
        ...

    async def extend_refresh_token(
        self, token_hash: str, now: float, expires_at: float, tokens: Sequence[TokenRecord]
    ) -> bool:
        """Refresh without rotation: move the token's expiry and store ``tokens``, atomically.

        Returns False, storing nothing, if the token is used, revoked or expired.
        """
        ...

    async def revoke_token(self, token_hash: str, now: float) -> bool:
        """Revoke one token; False if unknown or already revoked."""
        ...

    async def session_clients(self, sid: str) -> frozenset[str]:
        """The clients that were issued a code or token in the login session ``sid``."""
        ...

    async def has_user_tokens(self, client_id: str) -> bool:
        """Whether ``client_id`` holds a token issued for a user (revoked or not, until the
        janitor purges it): a user approved an authorization the client completed."""
        ...

    async def revoke_session(self, sid: str, now: float, keep_scope: str) -> int:
        """Revoke every grant of the session ``sid`` except those granted ``keep_scope``.

        Returns how many grants were revoked.
        """
        ...


class AssertionStore(Protocol):
    """Single-use values of client assertions (RFC 7523 §3: ``jti``)."""

    async def remember(self, key: str, expires_at: float, now: float) -> bool:
        """Record ``key`` until ``expires_at``; False if it is already recorded (a replay)."""
        ...


class JwksSource(Protocol):
    """Fetches and caches the JWK Sets that clients publish at their ``jwks_uri``."""

    async def get(self, uri: str, *, refresh: bool = False) -> Mapping[str, Any]:
        """The JWK Set at ``uri``; ``refresh`` asks for a fresh copy (e.g. unknown ``kid``).

        Raises:
            OutboundError: the document could not be fetched or is not a JWK Set.
        """
        ...


class ParStore(Protocol):
    """Pushed authorization requests (RFC 9126)."""

    async def add(self, request: PushedRequest) -> None: ...

    async def consume(self, request_hash: str, client_id: str, now: float) -> PushedRequest | None:
        """The request, marked used; None when unknown, expired, used or another client's.
        Of concurrent calls for one request exactly one gets it (single use, RFC 9126 §4)."""
        ...


class ReplayCache(Protocol):
    """One-time values seen recently (DPoP proof ``jti``, RFC 9449 §11.1), shared by instances."""

    async def remember(self, key: str, expires_at: float, now: float) -> bool:
        """Record ``key`` until ``expires_at``; False if it was already recorded (a replay)."""
        ...


class InitialAccessTokenStore(Protocol):
    """Initial access tokens for registration (RFC 7591 §3), shared by every instance."""

    async def add(self, token: InitialAccessToken) -> None:
        """Store a new token.

        Raises:
            IntegrityViolation: its ``token_id`` or ``token_hash`` is taken (nothing written).
        """
        ...

    async def find(self, token_hash: str) -> InitialAccessToken | None:
        """The token stored under ``token_hash``, whatever its state."""
        ...

    async def use(self, token_hash: str, now: float) -> bool:
        """Count one use, atomically: True only if the token was usable at ``now`` (not
        revoked, ``now < expires_at``, ``uses < max_uses``). Of concurrent calls for a token
        with one use left, exactly one returns True, on every instance."""
        ...

    async def list(self, limit: int = 100, offset: int = 0) -> list[InitialAccessToken]:
        """Every stored token, newest first, whatever its state."""
        ...

    async def revoke(self, token_id: str, now: float) -> bool:
        """Revoke the token; False if there is none or it was already revoked."""
        ...


class SecurityEventLog(Protocol):
    """Security events (:class:`~authgate.core.types.SecurityEvent`), kept for operators."""

    def record(self, event: SecurityEvent) -> None:
        """Keep ``event``: written in the background, never raises, never slows the caller."""
        ...

    async def flush(self) -> None:
        """Wait until every event recorded so far is kept."""
        ...

    async def list(
        self, limit: int = 100, offset: int = 0, kind: str | None = None
    ) -> list[SecurityEvent]:
        """The newest events first, optionally of one ``kind``."""
        ...


class RateWindow(NamedTuple):
    """One counting window of a per-source rate limit: requests of endpoint ``family`` from
    ``source`` between ``start`` and ``end`` (epoch seconds). Stores key it by family, source
    and start."""

    family: str
    source: str
    start: int
    end: int


class RateCounterStore(Protocol):
    """Request counts per :class:`RateWindow`, shared by every process and instance."""

    async def count(self, window: RateWindow) -> int:
        """The requests counted in ``window`` so far (0 for a window never counted)."""
        ...

    async def add(self, hits: Mapping[RateWindow, int]) -> dict[RateWindow, int]:
        """Add ``hits`` to each window's count, creating windows as needed, in one atomic
        write; returns each window's count afterwards (every adder's hits included)."""
        ...

    async def claim(self, window: RateWindow) -> bool:
        """Mark a counted window as reported; True for exactly one caller per window (the
        first), False for every later one and for a window never counted."""
        ...


class FailureStore(Protocol):
    """Failed guesses of secrets (passwords, client credentials, registration access tokens),
    counted per :class:`~authgate.core.types.FailureKey` and shared by every instance.

    A counter is live while its last failure is after ``since``; a counter of every subject
    (``subject == ""``, a whole source) while its *first* failure is after ``since`` (a fixed
    window). ``add`` restarts a counter that is not live.
    """

    async def read(
        self, keys: Sequence[FailureKey], since: float, *, fresh: bool = False
    ) -> list[FailureCount]:
        """The live counters among ``keys``.

        Unless ``fresh``, a store may skip the read for keys with no failure it knows of:
        failures recorded through this store object, and those another instance recorded
        before the store's last background refresh (docs/security.md, "Client
        authentication on the hot path").
        """
        ...

    async def add(
        self,
        keys: Sequence[FailureKey],
        now: float,
        since: float,
        *,
        keep_until: float,
        user_id: str | None = None,
    ) -> list[FailureCount]:
        """Count one failure at ``now`` on each key, atomically; returns the new counters.

        ``keep_until``: when the rows may be purged; ``user_id`` is kept on the counters of
        one subject (``subject != ""``; a later ``None`` keeps the earlier value).
        """
        ...

    async def clear(self, keys: Sequence[FailureKey]) -> None:
        """Forget the counters of ``keys`` (after a success)."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Constant-effort check; ``None`` hash means "no such user" and still costs a hash."""
        ...


class KeyRing(Protocol):
    def sign(self, claims: Mapping[str, Any], *, typ: str = "jwt", alg: str = "RS256") -> str:
        """A compact JWS over ``claims`` with the current signing key for ``alg``.

        Raises:
            LookupError: no key for ``alg`` is active.
        """
        ...

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set (RFC 7517 §5)."""
        ...

    @property
    def algorithms(self) -> frozenset[str]:
        """The algorithms a key can sign with now."""
        ...

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a JWS signed by one of our keys (``exp`` not checked).

        Raises:
            ValueError: not a JWS signed by this server.
        """
        ...


class LogoutNotifier(Protocol):
    async def submit(self, notices: Sequence[LogoutNotice]) -> None:
        """Keep the notifications (stored before this returns, so a restart does not lose
        them) and deliver them in the background, with retries; never raises."""
        ...


class SectorIdentifierFetcher(Protocol):
    """Fetches sector identifier documents (OIDC Registration §5, OIDC Core §8.1)."""

    @property
    def allow_http_loopback(self) -> bool:
        """Test-only: whether ``http`` URIs on loopback hosts are accepted too."""
        ...

    async def fetch(self, uri: str) -> list[str]:
        """The JSON array of redirect URIs published at ``uri``.

        Raises:
            InvalidClientMetadata: the document cannot be fetched or is not a JSON array of
                strings (the description says why, without echoing the body).
        """
        ...


class NoSectorIdentifierFetcher:
    """The fetcher of a server with no outbound HTTP: every sector_identifier_uri fails."""

    allow_http_loopback = False

    async def fetch(self, uri: str) -> list[str]:
        raise InvalidClientMetadata(
            "Parameter sector_identifier_uri is not valid: this server cannot fetch it"
        )


class FederationStore(Protocol):
    """Upstream identity providers, their links to local users and pending sign-ins."""

    async def providers(self) -> list[Provider]:
        """Every provider, by alias."""
        ...

    async def provider(self, alias: str) -> Provider | None: ...
    async def identity(self, alias: str, subject: str) -> FederatedIdentity | None: ...
    async def identities(
        self,
        *,
        user_id: str | None = None,
        alias: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FederatedIdentity]:
        """Links, of one user and/or one provider, newest first."""
        ...

    async def link(self, identity: FederatedIdentity) -> bool:
        """Add a link; False (nothing written) when the upstream identity is linked already."""
        ...

    async def unlink(self, alias: str, subject: str, user_id: str | None = None) -> bool:
        """Remove a link (only ``user_id``'s, when given); False when there is none."""
        ...

    async def touch(self, alias: str, subject: str, now: float) -> None:
        """Record a sign-in through the link."""
        ...

    async def user_by_email(self, email: str) -> User | None:
        """The local user whose email is ``email`` (case-insensitive), if exactly one."""
        ...

    async def provision(self, user: User, identity: FederatedIdentity) -> bool:
        """Add a user and its link in one transaction; False (nothing written) when the
        username is taken or the identity is linked already."""
        ...

    async def add_pending(self, pending: PendingSignIn) -> None: ...
    async def peek_pending(self, key: str, now: float) -> PendingSignIn | None:
        """The pending sign-in, left in place; None when unknown or expired."""
        ...

    async def take_pending(self, key: str, now: float) -> PendingSignIn | None:
        """The pending sign-in, removed (single use); None when unknown, taken or expired."""
        ...


class UpstreamHttp(Protocol):
    """HTTP exchanges with upstream providers (through the outbound client and policy)."""

    async def get_json(
        self, url: str, *, bearer: str | None = None, cache: bool = False
    ) -> tuple[int, Any]:
        """``GET url``: the status and the JSON body (None when it is not JSON). ``cache``
        may answer from a copy fetched in the last few minutes.

        Raises:
            OutboundError: the exchange failed (refused, unreachable, timed out, too large).
        """
        ...

    async def post_form(
        self, url: str, form: Mapping[str, str], *, basic: tuple[str, str] | None = None
    ) -> tuple[int, Any]:
        """``POST url`` with a form body (and HTTP Basic credentials): status and JSON body.

        Raises:
            OutboundError: as for :meth:`get_json`.
        """
        ...


@dataclass(frozen=True, slots=True)
class Federation:
    """What sign-in through upstream providers needs: their store, HTTP, and the key that
    seals their client secrets (read when first needed)."""

    store: FederationStore
    http: UpstreamHttp
    key: Callable[[], str]

    @property
    def sealing_key(self) -> str:
        return self.key()


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the core's use cases need, built once per application."""

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
    sector_identifiers: SectorIdentifierFetcher = field(default_factory=NoSectorIdentifierFetcher)
    federation: Federation | None = None
