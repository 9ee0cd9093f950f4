"""The database schema. Secrets, codes and tokens appear only as SHA-256 hashes.

Times are epoch seconds (the unit of JWT ``exp``/``iat`` and of every protocol lifetime),
stored as numbers so that both SQLite and PostgreSQL compare them natively.

The tables are SQLAlchemy Core ``Table`` objects: the stores write Core statements against
them, and nothing loads SQLAlchemy's ORM (docs/architecture.md, 5.1).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
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

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Every table of the schema (the migrations' target, checked against them by the tests).
METADATA = MetaData(naming_convention=NAMING_CONVENTION)


CLIENTS = Table(
    "clients",
    METADATA,
    Column("client_id", String(64), primary_key=True),
    Column("client_name", String(255), default="", index=True, nullable=False),
    Column("token_endpoint_auth_method", String(40), nullable=False),
    Column("metadata", JSON, nullable=False),
    Column("client_id_issued_at", BigInteger, nullable=False),
    Column("secret_hash", String(64)),
    Column("client_secret_expires_at", BigInteger, default=0, nullable=False),
    Column("registration_token_hash", String(64), index=True),
    Column("expires_at", BigInteger, index=True),
    Column("disabled", Boolean, default=False, nullable=False),
)

#: Custom client attributes, searchable by clientAuthenticationFilters.
CLIENT_ATTRIBUTES = Table(
    "client_attributes",
    METADATA,
    Column(
        "client_id",
        String(64),
        ForeignKey("clients.client_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", String(128), primary_key=True),
    Column("value", String(1024), nullable=False),
    Index("ix_client_attributes_name_value", "name", "value"),
)

#: The web origins of each client (redirect URIs' and ``authorized_origins``), so CORS can
#: ask in one indexed lookup whether any client registered an origin (docs/security.md#cors).
#: Origins longer than
#: :data:`authgate.core.origins.LISTED_ORIGIN_MAX` are not listed.
CLIENT_ORIGINS = Table(
    "client_origins",
    METADATA,
    Column(
        "client_id",
        String(64),
        ForeignKey("clients.client_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("origin", String(255), primary_key=True, index=True),
)

USERS = Table(
    "users",
    METADATA,
    Column("user_id", String(64), primary_key=True),
    Column("username", String(255), unique=True, nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("email", String(320)),
    Column("email_verified", Boolean, default=False, nullable=False),
    Column("name", String(255)),
    Column("given_name", String(255)),
    Column("family_name", String(255)),
    Column("enabled", Boolean, default=True, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Signed up through self-service (NULL, as for rows older than 0020: false).
    Column("self_registered", Boolean),
)
#: A password reset looks the user up by address, without case (docs/self-service.md).
Index("ix_users_email_lower", func.lower(USERS.c.email))

SCOPES = Table(
    "scopes",
    METADATA,
    Column("scope_id", String(255), primary_key=True),
    Column("description", Text, default="", nullable=False),
    Column("claims", JSON, nullable=False),
    Column("registrable", Boolean, default=True, nullable=False),
)

SESSIONS = Table(
    "sessions",
    METADATA,
    Column("session_hash", String(64), primary_key=True),
    Column("sid", String(64), unique=True, nullable=False),
    Column("user_id", String(64), index=True, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("expires_at", BigInteger, index=True, nullable=False),
    Column("acr", String(255), nullable=False),
    Column("amr", JSON, nullable=False),
    Column("ended_at", BigInteger),
    # The User-Agent of the browser that signed in (for the account page), cut to 512.
    Column("user_agent", String(512)),
    Column("last_used_at", BigInteger),
)

INTERACTIONS = Table(
    "interactions",
    METADATA,
    Column("interaction_id", String(64), primary_key=True),
    Column("browser_hash", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("request", JSON, nullable=False),
    Column("user_id", String(64)),
    Column("session_hash", String(64)),
    Column("login_done", Boolean, default=False, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, index=True, nullable=False),
)

CONSENTS = Table(
    "consents",
    METADATA,
    Column("user_id", String(64), primary_key=True),
    Column(
        "client_id",
        String(64),
        ForeignKey("clients.client_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("scope", Text, nullable=False),
    Column("granted_at", Float, nullable=False),
)

AUTHORIZATION_CODES = Table(
    "authorization_codes",
    METADATA,
    Column("code_hash", String(64), primary_key=True),
    # Not indexed: codes are only ever looked up by hash (every index is written per flow).
    Column("grant_id", String(64), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("redirect_uri_given", Boolean, nullable=False),
    Column("scope", Text, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("sid", String(64), nullable=False),
    Column("acr", String(255), nullable=False),
    Column("amr", String(255), nullable=False),
    Column("nonce", Text),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(10)),
    Column("consumed_at", Float),
    Column("dpop_jkt", String(64)),
    # RFC 8707 resources the authorization request named, space-joined; NULL: none.
    Column("resource", Text),
    # the request's claims parameter (OIDC Core §5.5), normalised JSON (migration 0017)
    Column("claims", Text),
    # the request's authorization_details (RFC 9396), normalised JSON (migration 0022)
    Column("authorization_details", Text),
)

TOKENS = Table(
    "tokens",
    METADATA,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("grant_id", String(64), index=True, nullable=False),
    Column("client_id", String(64), index=True, nullable=False),
    Column("user_id", String(64)),
    Column("scope", Text, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("auth_time", BigInteger),
    Column("sid", String(64), index=True),
    Column("acr", String(255)),
    Column("amr", String(255), default="", nullable=False),
    Column("used_at", Float),
    Column("revoked_at", Float),
    Column("jkt", String(64)),
    Column("grant_expires_at", Float),
    Column("successor", Text),
    # Space-joined: an access token's audience (RFC 8707 resources, RFC 8693 audiences), a
    # refresh token's authorized resources; NULL: the client.
    Column("audience", Text),
    # RFC 8693 §4.1 actor chain (JSON); NULL: not delegated.
    Column("act", Text),
    # the grant's claims parameter (OIDC Core §5.5), for userinfo (migration 0017)
    Column("claims", Text),
    # the grant's authorization_details (RFC 9396), normalised JSON (migration 0022)
    Column("authorization_details", Text),
)

# What the janitor asks of ``tokens`` (storage/janitor.py), answered from an index instead of a
# scan of every row: when a token row may go, and which rotated tokens still keep a sealed
# successor (few: only those rotated within the reuse grace window).
TOKENS_PURGE_AFTER = Index(
    "ix_tokens_purge_after",
    func.coalesce(TOKENS.c.grant_expires_at, TOKENS.c.expires_at),
)
TOKENS_ROTATED = Index(
    "ix_tokens_rotated",
    TOKENS.c.used_at,
    sqlite_where=TOKENS.c.successor.is_not(None),
    postgresql_where=TOKENS.c.successor.is_not(None),
)


#: Device authorization requests (RFC 8628), under the hash of the device code; the user
#: code is kept only as its HMAC (core/device/user_codes.py), unique while the row lives.
DEVICE_AUTHORIZATIONS = Table(
    "device_authorizations",
    METADATA,
    Column("device_code_hash", String(64), primary_key=True),
    Column("user_code_hash", String(64), unique=True, nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("scope", Text, nullable=False),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
    Column("poll_interval", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("last_polled_at", Float),
    Column("user_id", String(64)),
    Column("auth_time", BigInteger),
    Column("acr", String(255)),
    Column("amr", String(255), default="", nullable=False),
    Column("decided_at", Float),
)

#: Which clients were issued a code in which login session (for back-channel logout).
#:
#: Recorded with each authorization code; purged once the session is gone.
SESSION_CLIENTS = Table(
    "session_clients",
    METADATA,
    Column("sid", String(64), primary_key=True),
    Column("client_id", String(64), primary_key=True),
)

#: ``jti`` values of client assertions already accepted (RFC 7523 §3 item 7: single use),
#: and of request objects (RFC 9101; keyed with a ``request_object`` prefix).
#:
#: Keyed by SHA-256 of client_id and jti; kept until the assertion would have expired.
CLIENT_ASSERTIONS = Table(
    "client_assertions",
    METADATA,
    Column("assertion_hash", String(64), primary_key=True),
    Column("expires_at", Float, index=True, nullable=False),
)

SIGNING_KEYS = Table(
    "signing_keys",
    METADATA,
    Column("kid", String(128), primary_key=True),
    Column("alg", String(16), nullable=False),
    Column("private_pem", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("activates_at", BigInteger),
)

#: Pushed authorization requests (RFC 9126), under the hash of their request_uri.
PAR_REQUESTS = Table(
    "par_requests",
    METADATA,
    Column("request_hash", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("params", JSON, nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
    Column("used_at", Float),
)

#: Recently seen DPoP proof ids (RFC 9449 §11.1), kept only while a proof could be fresh.
DPOP_JTIS = Table(
    "dpop_jtis",
    METADATA,
    Column("jti_hash", String(64), primary_key=True),
    Column("expires_at", Float, index=True, nullable=False),
)

#: A named, expiring lease: which instance does a cluster-wide job (key generation).
LEASES = Table(
    "leases",
    METADATA,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

#: The auth-server configuration document (one row), with a revision for change polling.
CONFIGURATION = Table(
    "configuration",
    METADATA,
    Column("config_id", String(64), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("document", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)


#: One administrative change: who, when, what, and the target before and after.
#:
#: Secrets are redacted before they reach this table (:mod:`authgate.admin.redact`).
AUDIT_LOG = Table(
    "audit_log",
    METADATA,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, index=True, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), index=True, nullable=False),
    Column("target_id", String(255), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
)

#: One security event (``core.types.SecurityEvent``); never a secret.
SECURITY_EVENTS = Table(
    "security_events",
    METADATA,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, index=True, nullable=False),
    Column("kind", String(40), index=True, nullable=False),
    Column("source", String(64)),
    Column("client_id", String(64)),
    Column("user_id", String(64)),
    Column("detail", String(255), default="", nullable=False),
)

#: Requests from one source to one endpoint family in one fixed window
#: (``core.ports.RateWindow``), shared by every process; ``reported`` once a refusal in the
#: window was recorded as a security event.
RATE_COUNTERS = Table(
    "rate_counters",
    METADATA,
    Column("family", String(40), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("hits", BigInteger, default=0, nullable=False),
    Column("reported", Boolean, default=False, nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
)

#: An initial access token for registration (RFC 7591 §3), held as the hash of its value
#: (``core.types.InitialAccessToken``); ``uses`` counts registrations made with it.
INITIAL_ACCESS_TOKENS = Table(
    "initial_access_tokens",
    METADATA,
    Column("token_id", String(64), primary_key=True),
    Column("token_hash", String(64), unique=True, nullable=False),
    Column("description", String(255), default="", nullable=False),
    Column("created_by", String(255), default="", nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
    Column("max_uses", Integer, nullable=False),
    Column("uses", Integer, default=0, nullable=False),
    Column("revoked_at", Float),
)

#: A counter of failed guesses of a secret (``core.types.FailureKey``, brute-force
#: protection). ``subject`` of a login counter is a keyed hash of the username, never the
#: username; ``""`` in ``subject`` or ``source`` means every one.
AUTH_FAILURES = Table(
    "auth_failures",
    METADATA,
    Column("family", String(16), primary_key=True),
    Column("subject", String(128), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("last_at", Float, index=True, nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
    Column("user_id", String(64)),
)

#: A change other processes cache (a client, the scopes, the configuration, the keys),
#: announced to the workers sharing a SQLite file (:mod:`authgate.storage.change_feed`).
#: ``seq`` only grows (AUTOINCREMENT), so a reader's "everything after seq N" never misses
#: a row after old ones are deleted.
CHANGE_LOG = Table(
    "change_log",
    METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(255), nullable=False),
    Column("at", Float, index=True, nullable=False),
    sqlite_autoincrement=True,
)

#: A back-channel Logout Token not yet delivered (:mod:`authgate.outbound.backchannel`).
#:
#: ``due_at`` is when the next attempt may start; while an attempt runs it is the end of
#: ``holder``'s lease, so another process takes the row over only if that one died.
LOGOUT_DELIVERIES = Table(
    "logout_deliveries",
    METADATA,
    Column("delivery_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("uri", Text, nullable=False),
    Column("logout_token", Text, nullable=False),
    Column("attempts", Integer, default=0, nullable=False),
    Column("due_at", Float, index=True, nullable=False),
    Column("holder", String(64)),
    Column("created_at", Float, nullable=False),
)

#: An upstream identity provider (docs/federation.md). ``client_secret_sealed`` is the
#: client secret sealed under the server's sealing key, never the secret.
FEDERATION_PROVIDERS = Table(
    "federation_providers",
    METADATA,
    Column("alias", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("enabled", Boolean, default=True, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("client_secret_sealed", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

#: A local user's link to an identity at an upstream provider.
FEDERATED_IDENTITIES = Table(
    "federated_identities",
    METADATA,
    Column(
        "alias",
        String(64),
        ForeignKey("federation_providers.alias", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("subject", String(255), primary_key=True),
    Column(
        "user_id",
        String(64),
        ForeignKey("users.user_id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    Column("email", String(320)),
    Column("linked_at", Float, nullable=False),
    Column("last_used_at", Float),
)

#: A sign-in sent upstream and not yet back, or an identity waiting to be linked: single
#: use, short-lived (purged by the janitor once expired).
FEDERATION_PENDING = Table(
    "federation_pending",
    METADATA,
    Column("key", String(160), primary_key=True),
    Column("alias", String(64), nullable=False),
    Column("interaction_id", String(128), nullable=False),
    Column("browser_hash", String(64), nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
    Column("nonce", String(128), default="", nullable=False),
    Column("verifier", String(255), default="", nullable=False),
    Column("subject", String(255), default="", nullable=False),
    Column("user_id", String(64), default="", nullable=False),
    Column("email", String(320), default="", nullable=False),
)

#: A user's second factor (``core.types.SecondFactor``). ``secret`` is what the method
#: verifies with, as the core hands it over: a TOTP seed only sealed under a server key.
#: ``last_step`` is the last TOTP time step accepted (single use of a code).
SECOND_FACTORS = Table(
    "second_factors",
    METADATA,
    Column("factor_id", String(64), primary_key=True),
    Column(
        "user_id",
        String(64),
        ForeignKey("users.user_id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    Column("kind", String(16), nullable=False),
    Column("secret", Text, nullable=False),
    Column("label", String(255), default="", nullable=False),
    Column("created_at", Float, nullable=False),
    Column("confirmed_at", Float),
    Column("last_step", BigInteger),
    Column("last_used_at", Float),
)

#: A single-use recovery code of a user, held only as a keyed hash.
RECOVERY_CODES = Table(
    "recovery_codes",
    METADATA,
    Column(
        "user_id", String(64), ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("code_hash", String(64), primary_key=True),
    Column("created_at", Float, nullable=False),
    Column("used_at", Float),
)

#: A user's passkey (``core.passkeys.credential.PasskeyCredential``): the credential id,
#: its COSE public key and the user handle as base64url text; ``transports`` a JSON array.
#: Nothing here is secret. Deleting the user deletes their passkeys.
PASSKEYS = Table(
    "passkeys",
    METADATA,
    Column("credential_id", String(1400), primary_key=True),
    Column(
        "user_id",
        String(64),
        ForeignKey("users.user_id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    Column("public_key", Text, nullable=False),
    Column("sign_count", BigInteger, nullable=False),
    Column("user_handle", String(128), nullable=False),
    Column("name", String(255), nullable=False),
    Column("transports", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    Column("backup_eligible", Boolean, default=False, nullable=False),
    Column("backup_state", Boolean, default=False, nullable=False),
    Column("aaguid", String(36), default="", nullable=False),
)

#: Mailed self-service links (docs/self-service.md), under the hash of their token; a
#: link is used once (``used_at``, set by a guarded update) and only until ``expires_at``.
#: ``email`` is where it was sent, counted per address against mail floods.
EMAIL_LINKS = Table(
    "email_links",
    METADATA,
    Column("link_hash", String(64), primary_key=True),
    Column("purpose", String(16), nullable=False),
    Column("user_id", String(64), index=True, nullable=False),
    Column("email", String(320), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, index=True, nullable=False),
    Column("used_at", Float),
)
Index("ix_email_links_email_lower", func.lower(EMAIL_LINKS.c.email), "created_at")
