"""The database schema. Secrets, codes and tokens appear only as SHA-256 hashes.

Times are epoch seconds (the unit of JWT ``exp``/``iat`` and of every protocol lifetime),
stored as numbers so that both SQLite and PostgreSQL compare them natively.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ClientRow(Base):
    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_name: Mapped[str] = mapped_column(String(255), default="", index=True)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(40))
    client_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    client_id_issued_at: Mapped[int] = mapped_column(BigInteger)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    client_secret_expires_at: Mapped[int] = mapped_column(BigInteger, default=0)
    registration_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    expires_at: Mapped[int | None] = mapped_column(BigInteger, index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class ClientAttributeRow(Base):
    """Custom client attributes, searchable by clientAuthenticationFilters."""

    __tablename__ = "client_attributes"
    __table_args__ = (Index("ix_client_attributes_name_value", "name", "value"),)

    client_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(1024))


class ClientOriginRow(Base):
    """The web origins of each client (redirect URIs' and ``authorized_origins``), so CORS can
    ask in one indexed lookup whether any client registered an origin (docs/security.md#cors).
    Origins longer than
    :data:`authgate.core.origins.LISTED_ORIGIN_MAX` are not listed."""

    __tablename__ = "client_origins"

    client_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True
    )
    origin: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class UserRow(Base):
    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    #: Signed up through self-service (NULL, as for rows older than 0020: false).
    self_registered: Mapped[bool | None] = mapped_column(Boolean)

    #: A password reset looks the user up by address, without case (docs/self-service.md).
    __table_args__ = (Index("ix_users_email_lower", func.lower(email)),)


class ScopeRow(Base):
    __tablename__ = "scopes"

    scope_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    claims: Mapped[list[Any]] = mapped_column(JSON)
    registrable: Mapped[bool] = mapped_column(Boolean, default=True)


class SessionRow(Base):
    __tablename__ = "sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    auth_time: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    acr: Mapped[str] = mapped_column(String(255))
    amr: Mapped[list[Any]] = mapped_column(JSON)
    ended_at: Mapped[int | None] = mapped_column(BigInteger)
    #: The User-Agent of the browser that signed in (for the account page), cut to 512.
    user_agent: Mapped[str | None] = mapped_column(String(512))
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)


class InteractionRow(Base):
    __tablename__ = "interactions"

    interaction_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    user_id: Mapped[str | None] = mapped_column(String(64))
    session_hash: Mapped[str | None] = mapped_column(String(64))
    login_done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class ConsentRow(Base):
    __tablename__ = "consents"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("clients.client_id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[float] = mapped_column(Float)


class AuthorizationCodeRow(Base):
    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Not indexed: codes are only ever looked up by hash (every index is written per flow).
    grant_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    redirect_uri: Mapped[str] = mapped_column(Text)
    redirect_uri_given: Mapped[bool] = mapped_column(Boolean)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    auth_time: Mapped[int] = mapped_column(BigInteger)
    sid: Mapped[str] = mapped_column(String(64))
    acr: Mapped[str] = mapped_column(String(255))
    amr: Mapped[str] = mapped_column(String(255))
    nonce: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    consumed_at: Mapped[float | None] = mapped_column(Float)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))
    # RFC 8707 resources the authorization request named, space-joined; NULL: none.
    resource: Mapped[str | None] = mapped_column(Text)
    # the request's claims parameter (OIDC Core §5.5), normalised JSON (migration 0017)
    claims: Mapped[str | None] = mapped_column(Text)
    # the request's authorization_details (RFC 9396), normalised JSON (migration 0022)
    authorization_details: Mapped[str | None] = mapped_column(Text)


class TokenRow(Base):
    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    grant_id: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    auth_time: Mapped[int | None] = mapped_column(BigInteger)
    sid: Mapped[str | None] = mapped_column(String(64), index=True)
    acr: Mapped[str | None] = mapped_column(String(255))
    amr: Mapped[str] = mapped_column(String(255), default="")
    used_at: Mapped[float | None] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    jkt: Mapped[str | None] = mapped_column(String(64))
    grant_expires_at: Mapped[float | None] = mapped_column(Float)
    successor: Mapped[str | None] = mapped_column(Text)
    # Space-joined: an access token's audience (RFC 8707 resources, RFC 8693 audiences), a
    # refresh token's authorized resources; NULL: the client.
    audience: Mapped[str | None] = mapped_column(Text)
    # RFC 8693 §4.1 actor chain (JSON); NULL: not delegated.
    act: Mapped[str | None] = mapped_column(Text)
    # the grant's claims parameter (OIDC Core §5.5), for userinfo (migration 0017)
    claims: Mapped[str | None] = mapped_column(Text)
    # the grant's authorization_details (RFC 9396), normalised JSON (migration 0022)
    authorization_details: Mapped[str | None] = mapped_column(Text)


# What the janitor asks of ``tokens`` (storage/janitor.py), answered from an index instead of a
# scan of every row: when a token row may go, and which rotated tokens still keep a sealed
# successor (few: only those rotated within the reuse grace window).
TOKENS_PURGE_AFTER = Index(
    "ix_tokens_purge_after",
    func.coalesce(TokenRow.grant_expires_at, TokenRow.expires_at),
)
TOKENS_ROTATED = Index(
    "ix_tokens_rotated",
    TokenRow.used_at,
    sqlite_where=TokenRow.successor.is_not(None),
    postgresql_where=TokenRow.successor.is_not(None),
)


class DeviceAuthorizationRow(Base):
    """Device authorization requests (RFC 8628), under the hash of the device code; the user
    code is kept only as its HMAC (core/device/user_codes.py), unique while the row lives."""

    __tablename__ = "device_authorizations"

    device_code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    poll_interval: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    last_polled_at: Mapped[float | None] = mapped_column(Float)
    user_id: Mapped[str | None] = mapped_column(String(64))
    auth_time: Mapped[int | None] = mapped_column(BigInteger)
    acr: Mapped[str | None] = mapped_column(String(255))
    amr: Mapped[str] = mapped_column(String(255), default="")
    decided_at: Mapped[float | None] = mapped_column(Float)


class SessionClientRow(Base):
    """Which clients were issued a code in which login session (for back-channel logout).

    Recorded with each authorization code; purged once the session is gone.
    """

    __tablename__ = "session_clients"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class ClientAssertionRow(Base):
    """``jti`` values of client assertions already accepted (RFC 7523 §3 item 7: single use),
    and of request objects (RFC 9101; keyed with a ``request_object`` prefix).

    Keyed by SHA-256 of client_id and jti; kept until the assertion would have expired.
    """

    __tablename__ = "client_assertions"

    assertion_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(128), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    activates_at: Mapped[int | None] = mapped_column(BigInteger)


class ParRequestRow(Base):
    """Pushed authorization requests (RFC 9126), under the hash of their request_uri."""

    __tablename__ = "par_requests"

    request_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    used_at: Mapped[float | None] = mapped_column(Float)


class DPoPJtiRow(Base):
    """Recently seen DPoP proof ids (RFC 9449 §11.1), kept only while a proof could be fresh."""

    __tablename__ = "dpop_jtis"

    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class LeaseRow(Base):
    """A named, expiring lease: which instance does a cluster-wide job (key generation)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[float] = mapped_column(Float)


class ConfigurationRow(Base):
    """The auth-server configuration document (one row), with a revision for change polling."""

    __tablename__ = "configuration"

    config_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[float] = mapped_column(Float)


def table_of(model: type[Base]) -> Table:
    """The Core ``Table`` of a mapped class (repositories use Core statements)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class AuditRow(Base):
    """One administrative change: who, when, what, and the target before and after.

    Secrets are redacted before they reach this table (:mod:`authgate.admin.redact`).
    """

    __tablename__ = "audit_log"

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), index=True)
    target_id: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SecurityEventRow(Base):
    """One security event (``core.types.SecurityEvent``); never a secret."""

    __tablename__ = "security_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(255), default="")


class RateCounterRow(Base):
    """Requests from one source to one endpoint family in one fixed window
    (``core.ports.RateWindow``), shared by every process; ``reported`` once a refusal in the
    window was recorded as a security event."""

    __tablename__ = "rate_counters"

    family: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(BigInteger, default=0)
    reported: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class InitialAccessTokenRow(Base):
    """An initial access token for registration (RFC 7591 §3), held as the hash of its value
    (``core.types.InitialAccessToken``); ``uses`` counts registrations made with it."""

    __tablename__ = "initial_access_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[float | None] = mapped_column(Float)


class AuthFailureRow(Base):
    """A counter of failed guesses of a secret (``core.types.FailureKey``, brute-force
    protection). ``subject`` of a login counter is a keyed hash of the username, never the
    username; ``""`` in ``subject`` or ``source`` means every one."""

    __tablename__ = "auth_failures"

    family: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[float] = mapped_column(Float)
    last_at: Mapped[float] = mapped_column(Float, index=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    user_id: Mapped[str | None] = mapped_column(String(64))


class ChangeRow(Base):
    """A change other processes cache (a client, the scopes, the configuration, the keys),
    announced to the workers sharing a SQLite file (:mod:`authgate.storage.change_feed`).
    ``seq`` only grows (AUTOINCREMENT), so a reader's "everything after seq N" never misses
    a row after old ones are deleted."""

    __tablename__ = "change_log"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (SQLAlchemy's declaration)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(255))
    at: Mapped[float] = mapped_column(Float, index=True)


class LogoutDeliveryRow(Base):
    """A back-channel Logout Token not yet delivered (:mod:`authgate.outbound.backchannel`).

    ``due_at`` is when the next attempt may start; while an attempt runs it is the end of
    ``holder``'s lease, so another process takes the row over only if that one died.
    """

    __tablename__ = "logout_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(Text)
    logout_token: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[float] = mapped_column(Float, index=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)


class FederationProviderRow(Base):
    """An upstream identity provider (docs/federation.md). ``client_secret_sealed`` is the
    client secret sealed under the server's sealing key, never the secret."""

    __tablename__ = "federation_providers"

    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    client_secret_sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class FederatedIdentityRow(Base):
    """A local user's link to an identity at an upstream provider."""

    __tablename__ = "federated_identities"

    alias: Mapped[str] = mapped_column(
        String(64), ForeignKey("federation_providers.alias", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(320))
    linked_at: Mapped[float] = mapped_column(Float)
    last_used_at: Mapped[float | None] = mapped_column(Float)


class FederationPendingRow(Base):
    """A sign-in sent upstream and not yet back, or an identity waiting to be linked: single
    use, short-lived (purged by the janitor once expired)."""

    __tablename__ = "federation_pending"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    alias: Mapped[str] = mapped_column(String(64))
    interaction_id: Mapped[str] = mapped_column(String(128))
    browser_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    nonce: Mapped[str] = mapped_column(String(128), default="")
    verifier: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320), default="")


class SecondFactorRow(Base):
    """A user's second factor (``core.types.SecondFactor``). ``secret`` is what the method
    verifies with, as the core hands it over: a TOTP seed only sealed under a server key.
    ``last_step`` is the last TOTP time step accepted (single use of a code)."""

    __tablename__ = "second_factors"

    factor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    secret: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[float] = mapped_column(Float)
    confirmed_at: Mapped[float | None] = mapped_column(Float)
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[float | None] = mapped_column(Float)


class RecoveryCodeRow(Base):
    """A single-use recovery code of a user, held only as a keyed hash."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float)
    used_at: Mapped[float | None] = mapped_column(Float)


class PasskeyRow(Base):
    """A user's passkey (``core.passkeys.credential.PasskeyCredential``): the credential id,
    its COSE public key and the user handle as base64url text; ``transports`` a JSON array.
    Nothing here is secret. Deleting the user deletes their passkeys."""

    __tablename__ = "passkeys"

    credential_id: Mapped[str] = mapped_column(String(1400), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    public_key: Mapped[str] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(BigInteger)
    user_handle: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    transports: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)
    last_used_at: Mapped[float | None] = mapped_column(Float)
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backup_state: Mapped[bool] = mapped_column(Boolean, default=False)
    aaguid: Mapped[str] = mapped_column(String(36), default="")


class EmailLinkRow(Base):
    """Mailed self-service links (docs/self-service.md), under the hash of their token; a
    link is used once (``used_at``, set by a guarded update) and only until ``expires_at``.
    ``email`` is where it was sent, counted per address against mail floods."""

    __tablename__ = "email_links"

    link_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    used_at: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_email_links_email_lower", func.lower(email), "created_at"),)
