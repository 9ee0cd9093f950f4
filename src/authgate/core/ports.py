"""The interfaces the protocol core needs from the outside world (storage, keys, time).

Code that touches a port is ``async``; storage adapters implement these in
:mod:`authgate.storage`. Each mutating method is atomic on its own: the adapter owns the
transaction, so the core never sees a half-written grant.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from authgate.appconfig import AppConfiguration
from authgate.core.federation.model import FederatedIdentity, PendingSignIn, Provider
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.types import (
    AppRevocation,
    Approval,
    AuthorizationCode,
    Client,
    DeviceAuthorization,
    EmailLink,
    FailureCount,
    FailureKey,
    InitialAccessToken,
    Interaction,
    LoginSession,
    LogoutNotice,
    Mail,
    PushedRequest,
    Scope,
    SecondFactor,
    SecurityEvent,
    SessionState,
    TokenRecord,
    User,
)
from authgate.errors import InvalidClientMetadata, OutboundError

logger = logging.getLogger("authgate.mail")


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

    async def origin_registered(self, origin: str) -> bool:
        """Whether any client registered ``origin`` (a serialised web origin) through its
        redirect URIs or ``authorized_origins``; origins longer than
        ``core.origins.LISTED_ORIGIN_MAX`` are not kept, so never registered."""
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
    async def add_if_free(self, user: User) -> bool:
        """Add ``user`` unless its user_id or username is taken (then False, nothing written)."""
        ...

    async def get_by_email(self, email: str) -> User | None:
        """A user with this address (compared without case), verified ones first, then the
        oldest; None if there is none."""
        ...

    async def set_name(self, user_id: str, name: str) -> bool:
        """Change the user's ``name``; False for an unknown user."""
        ...


class EmailLinkStore(Protocol):
    """Mailed self-service links (:class:`EmailLink`), each usable once (docs/self-service.md)."""

    async def add(self, link: EmailLink) -> None: ...
    async def get(self, link_hash: str) -> EmailLink | None: ...
    async def sent_since(self, email: str, since: float) -> int:
        """How many links were made for ``email`` (without case) since ``since``."""
        ...

    async def verify_email(self, link_hash: str, now: float) -> EmailLink | None:
        """Use a live ``verify`` link and make its address the user's verified email, in one
        transaction; None (nothing changed) if it is unknown, used, expired or another
        caller used it first."""
        ...

    async def reset_password(
        self, link_hash: str, password_hash: str, now: float
    ) -> EmailLink | None:
        """Use a live ``reset`` link: set the user's password, revoke every live token of
        the user and use up the user's other reset links, in one transaction; None as for
        :meth:`verify_email`."""
        ...


class Mailer(Protocol):
    """Sends self-service mail in the background (SMTP in a server)."""

    def send(self, mail: Mail) -> None:
        """Queue ``mail``; returns at once and never raises (failures are logged)."""
        ...


class NoMailer:
    """The mailer of a server without SMTP settings: nothing is sent (logged once each)."""

    def send(self, mail: Mail) -> None:
        logger.warning("no SMTP server configured (AUTHGATE_SMTP_HOST): a %s mail was not sent",
                       mail.kind)  # fmt: skip


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
    async def by_sid(self, sid: str) -> LoginSession | None:
        """The session with this ``sid`` (the id_token claim) until it is ended; expiry is the
        caller's check."""
        ...

    async def elevate(self, session_hash: str, stronger: LoginSession) -> bool:
        """Replace the live session ``session_hash`` by ``stronger`` (the same ``sid`` and
        user, a new ``session_hash``, ``acr``, ``amr`` and ``auth_time``) in one guarded write:
        False, writing nothing, when it has ended or another call elevated it first."""
        ...


class AccountStore(Protocol):
    """What the account page and the administrators see and change of one user: the apps
    the user approved and the user's login sessions (docs/account.md)."""

    async def approvals(self, user_id: str) -> list[Approval]:
        """The user's remembered consents with their clients' names, newest first."""
        ...

    async def revoke_approval(self, user_id: str, client_id: str, now: float) -> AppRevocation:
        """Delete the user's consent for the client and revoke every live token the client
        holds for the user (access and refresh, offline or not), in one transaction."""
        ...

    async def sessions(self, user_id: str, now: float) -> list[LoginSession]:
        """The user's live (not ended, not expired) login sessions, newest login first."""
        ...

    async def session_by_sid(self, sid: str) -> LoginSession | None:
        """The login session ``sid`` until it is ended (expiry is the caller's check)."""
        ...

    async def touch(self, session_hash: str, now: float) -> None:
        """Record that the session served a request at ``now``."""
        ...


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

    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        """The code stored under ``code_hash``. A store may answer once from a copy kept
        when it issued the code, whose ``consumed_at`` may be stale (another process may
        have redeemed it): :meth:`redeem_code` is what decides single use."""
        ...

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


class DeviceAuthorizationStore(Protocol):
    """Device authorization requests (RFC 8628), shared by every instance."""

    async def add(self, request: DeviceAuthorization) -> bool:
        """Store a new request; False, storing nothing, if its user code hash (or device
        code hash) is taken by a stored request (the caller draws another user code)."""
        ...

    async def get(self, device_code_hash: str) -> DeviceAuthorization | None: ...

    async def find(self, user_code_hash: str) -> DeviceAuthorization | None:
        """The request whose user code hashes to ``user_code_hash``, whatever its state."""
        ...

    async def poll(self, device_code_hash: str, now: float, *, increase: int) -> bool:
        """Record a token request for the device code at ``now``, atomically.

        True if it came at least ``interval`` seconds after the previous one (or is the
        first); otherwise the interval grows by ``increase`` seconds and False is returned
        (``slow_down``, RFC 8628 §3.5). Both record ``now`` as the last poll. Of concurrent
        polls at one moment, at most one returns True.
        """
        ...

    async def decide(
        self,
        user_code_hash: str,
        now: float,
        *,
        approved: bool,
        user_id: str,
        auth_time: int,
        acr: str,
        amr: Sequence[str],
    ) -> bool:
        """Record the user's answer: ``pending`` becomes ``approved`` or ``denied``, with who
        answered. False, writing nothing, unless the request is pending and unexpired at
        ``now``: of concurrent answers exactly one lands."""
        ...

    async def redeem(
        self, device_code_hash: str, now: float, tokens: Sequence[TokenRecord]
    ) -> bool:
        """Mark an approved request ``issued`` and store ``tokens``, atomically. False,
        storing nothing, unless it was ``approved``: of concurrent redemptions exactly one
        gets tokens."""
        ...


class AssertionStore(Protocol):
    """Single-use values of client assertions (RFC 7523 §3: ``jti``) and of request objects
    (RFC 9101: ``jti``), under keys that cannot collide."""

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


class PasskeyStore(Protocol):
    """Users' passkeys (:class:`~authgate.core.passkeys.credential.PasskeyCredential`)."""

    async def add(self, credential: PasskeyCredential) -> bool:
        """Store a new passkey; False (nothing written) if its credential id is taken."""
        ...

    async def get(self, credential_id: str) -> PasskeyCredential | None: ...

    async def for_user(self, user_id: str) -> list[PasskeyCredential]:
        """The user's passkeys, oldest first."""
        ...

    async def record_use(
        self,
        credential_id: str,
        *,
        expected_count: int,
        sign_count: int,
        backup_state: bool,
        now: float,
    ) -> bool:
        """After a verified assertion: store the new signature counter, backup state and
        time of use, only if the stored counter is still ``expected_count`` (of two uses
        racing with one counter value one wins); False if not, or the passkey is gone."""
        ...

    async def rename(self, user_id: str, credential_id: str, name: str) -> bool:
        """Rename the user's passkey; False if the user has no such passkey."""
        ...

    async def remove(self, user_id: str, credential_id: str) -> bool:
        """Remove the user's passkey; False if the user has no such passkey."""
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


class FactorStore(Protocol):
    """Users' second factors and recovery codes (:mod:`authgate.core.mfa`)."""

    async def list(self, user_id: str) -> list[SecondFactor]:
        """Every factor of the user, confirmed or pending, oldest first."""
        ...

    async def start(self, factor: SecondFactor) -> None:
        """Store a pending factor (``confirmed_at`` None), replacing, in the same write, any
        pending factor of the same user and kind."""
        ...

    async def confirm(self, factor_id: str, step: int, now: float) -> bool:
        """Confirm a pending factor with its first accepted ``step``, atomically: True for
        exactly one caller; False when it is unknown or already confirmed."""
        ...

    async def accept_step(self, factor_id: str, step: int, now: float) -> bool:
        """Record ``step`` as the factor's last accepted time step if it is later than the
        one recorded, atomically: of concurrent calls with one step exactly one returns True;
        False for an earlier or equal step, and for an unknown or pending factor."""
        ...

    async def remove(self, user_id: str, kind: str | None = None) -> int:
        """Delete the user's factors of ``kind`` (every kind when None); returns how many."""
        ...

    async def remove_one(self, user_id: str, factor_id: str) -> bool:
        """Delete one factor of the user; False when the user has no such factor."""
        ...

    async def rename(self, user_id: str, factor_id: str, label: str) -> bool:
        """Set the label of one confirmed factor of the user; False when there is none."""
        ...

    async def replace_recovery_codes(self, user_id: str, hashes: Sequence[str], now: float) -> None:
        """Replace every recovery code of the user by ``hashes``, in one write."""
        ...

    async def use_recovery_code(self, user_id: str, code_hash: str, now: float) -> bool:
        """Mark the code used, atomically: True for exactly one caller, and only for an
        unused code of this user."""
        ...

    async def recovery_codes_left(self, user_id: str) -> int:
        """How many unused recovery codes the user has."""
        ...

    async def clear_recovery_codes(self, user_id: str) -> int:
        """Delete every recovery code of the user; returns how many there were."""
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


class RequestObjectFetcher(Protocol):
    """Fetches request objects from clients' ``request_uri`` (RFC 9101 §5.2)."""

    async def fetch(self, uri: str, *, max_bytes: int) -> str:
        """The request object (a compact JWT) served at ``uri``.

        Raises:
            OutboundError: refused by the outbound policy, unreachable, non-200, too large
                or not ASCII text (the message is for the log, not the requester).
        """
        ...


class SealingKeyUnavailable(Exception):
    """The sealing key cannot be had (its file is empty or unreadable); the message says
    which and what to do, and holds no key."""


@dataclass(frozen=True, slots=True)
class Federation:
    """What sign-in through upstream providers needs: their store, HTTP, and the key that
    seals their client secrets (read when first needed; ``key`` raises
    :class:`SealingKeyUnavailable`)."""

    store: FederationStore
    http: UpstreamHttp
    key: Callable[[], str]

    @property
    def sealing_key(self) -> str:
        return self.key()


class NoRequestObjectFetcher:
    """The fetcher of a server with no outbound HTTP: every request_uri fails."""

    async def fetch(self, uri: str, *, max_bytes: int) -> str:
        raise OutboundError("this server cannot fetch request_uri values")


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
    account: AccountStore
    devices: DeviceAuthorizationStore
    factors: FactorStore
    passkeys: PasskeyStore
    sector_identifiers: SectorIdentifierFetcher = field(default_factory=NoSectorIdentifierFetcher)
    request_objects: RequestObjectFetcher = field(default_factory=NoRequestObjectFetcher)
    links: EmailLinkStore | None = None
    mail: Mailer = field(default_factory=NoMailer)
    federation: Federation | None = None


#: True in a task that writes through a port while the code that started it goes on with
#: other work (the token request signs the id_token while the code's redemption is made
#: durable). A storage adapter then keeps the write's flush off the thread that does that
#: work.
OVERLAPPED: contextvars.ContextVar[bool] = contextvars.ContextVar("overlapped", default=False)
