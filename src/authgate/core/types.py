"""Protocol values: frozen dataclasses shared by the core, storage and web adapters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from authgate.core.origins import client_origins

ApplicationType = Literal["web", "native"]
SubjectType = Literal["public", "pairwise"]
TokenKind = Literal["access_token", "refresh_token"]

#: What a registered client may do at the token endpoint, and how it authenticates.
PUBLIC_AUTH_METHOD = "none"


# The longest values a client record holds (the column sizes of storage/models.py). Entry
# points refuse longer ones, so no database is asked to store them: PostgreSQL would refuse
# them and SQLite would keep them.
CLIENT_NAME_MAX = 255
ATTRIBUTE_NAME_MAX = 128
ATTRIBUTE_VALUE_MAX = 1024


def always_authenticates(methods: Iterable[str]) -> bool:
    """Whether a client with these token endpoint auth methods must prove its identity on
    every request, i.e. ``none`` is not among them."""
    return PUBLIC_AUTH_METHOD not in methods


@dataclass(frozen=True, slots=True)
class ClientMetadata:
    """Validated RFC 7591 / OIDC Registration metadata plus Janssen's extras
    (docs/janssen-compatibility.md §3.1)."""

    redirect_uris: tuple[str, ...] = ()
    response_types: tuple[str, ...] = ("code",)
    grant_types: tuple[str, ...] = ("authorization_code",)
    application_type: ApplicationType = "web"
    client_name: str = ""
    token_endpoint_auth_method: str = "client_secret_basic"
    scope: tuple[str, ...] = ()
    subject_type: SubjectType = "pairwise"
    sector_identifier_uri: str | None = None
    id_token_signed_response_alg: str = "RS256"
    access_token_signing_alg: str = "RS256"
    require_pkce: bool = False
    rpt_as_jwt: bool = False
    access_token_as_jwt: bool = False
    par_lifetime: int = 600
    require_par: bool = False
    allow_spontaneous_scopes: bool = False
    spontaneous_scopes: tuple[str, ...] = ()
    additional_audience: tuple[str, ...] = ()
    redirect_uris_regex: str = ""
    tls_client_auth_subject_dn: str = ""
    run_introspection_script_before_jwt_creation: bool = False
    keep_client_authorization_after_expiration: bool = False
    backchannel_logout_uri: tuple[str, ...] = ()
    backchannel_logout_session_required: bool = False
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool = False
    post_logout_redirect_uris: tuple[str, ...] = ()
    additional_token_endpoint_auth_methods: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    logo_uri: str | None = None
    client_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    software_id: str | None = None
    software_version: str | None = None
    #: The software statement the client registered with (RFC 7591 §2.3), as presented: its
    #: claims are in the members above; returned unmodified in responses (§3.2.1).
    software_statement: str | None = None
    default_max_age: int | None = None
    require_auth_time: bool = False
    default_acr_values: tuple[str, ...] = ()
    lifetime: int | None = None
    access_token_lifetime: int | None = None
    jwks: Mapping[str, Any] | None = None
    jwks_uri: str | None = None
    token_endpoint_auth_signing_alg: str | None = None
    custom_attributes: Mapping[str, str] = field(default_factory=dict)
    authorized_origins: tuple[str, ...] = ()
    dpop_bound_access_tokens: bool = False
    #: Resource indicators (RFC 8707) the client may name in ``resource``; empty: the
    #: server's ``defaultResourceIndicators`` (docs/resources.md).
    allowed_resources: tuple[str, ...] = ()
    #: Audiences and resources the client may ask for in a token exchange (RFC 8693); empty:
    #: the client may not exchange tokens (docs/resources.md).
    token_exchange_audiences: tuple[str, ...] = ()
    #: Algorithm the client signs its request objects with (OIDC Registration §2); ``none``
    #: only where the configuration allows unsigned request objects.
    request_object_signing_alg: str | None = None
    #: Every authorization request of the client must be a signed request object (RFC 9101
    #: §10.5).
    require_signed_request_object: bool = False
    #: Algorithm of JWT introspection responses for this client (RFC 9701 §6).
    introspection_signed_response_alg: str | None = None
    #: Algorithm of the client's signed authorization responses (JARM §3); None: RS256.
    authorization_signed_response_alg: str | None = None
    #: Algorithm of the client's signed UserInfo responses (OIDC Core §5.3.2); None: JSON.
    userinfo_signed_response_alg: str | None = None
    #: Key management and content encryption of the responses the client asked to have
    #: encrypted to its own key (OIDC Registration §2, JARM §3, RFC 9701 §6); None: not
    #: encrypted. An ``enc`` is stored whenever its ``alg`` is.
    id_token_encrypted_response_alg: str | None = None
    id_token_encrypted_response_enc: str | None = None
    userinfo_encrypted_response_alg: str | None = None
    userinfo_encrypted_response_enc: str | None = None
    authorization_encrypted_response_alg: str | None = None
    authorization_encrypted_response_enc: str | None = None
    introspection_encrypted_response_alg: str | None = None
    introspection_encrypted_response_enc: str | None = None
    #: The ``authorization_details`` types the client uses (RFC 9396 §10); empty: any the
    #: server supports.
    authorization_details_types: tuple[str, ...] = ()
    #: Web origins of the client's browser code (redirect URIs + authorized_origins), computed
    #: once per loaded client so CORS checks cost a set lookup (not stored).
    origins: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "origins", client_origins(self.redirect_uris, self.authorized_origins)
        )

    @property
    def is_public(self) -> bool:
        """A public client cannot keep a secret (RFC 6749 §2.1)."""
        return self.token_endpoint_auth_method == PUBLIC_AUTH_METHOD

    @property
    def is_confidential(self) -> bool:
        """Every way the client may authenticate proves its identity: no ``none`` among its
        methods (a secret or a private_key_jwt assertion every time, RFC 6749 §2.1)."""
        return always_authenticates(
            (self.token_endpoint_auth_method, *self.additional_token_endpoint_auth_methods)
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every member (tuples as lists), for storage."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClientMetadata:
        """Rebuild from :meth:`to_json` output; unknown members are ignored."""
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if not f.init or f.name not in data:
                continue
            value = data[f.name]
            if isinstance(value, list):
                value = tuple(value)
            kwargs[f.name] = value
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class Client:
    """A registered client. Secrets are held only as hashes."""

    client_id: str
    metadata: ClientMetadata
    client_id_issued_at: int
    secret_hash: str | None = None
    client_secret_expires_at: int = 0
    registration_token_hash: str | None = None
    expires_at: int | None = None
    disabled: bool = False

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @property
    def registered_dynamically(self) -> bool:
        """Registered by anyone through dynamic registration (RFC 7591), not created by an
        administrator: only dynamic registration issues a registration access token
        (RFC 7592 §3), and an administrator's edits keep it."""
        return self.registration_token_hash is not None


@dataclass(frozen=True, slots=True)
class User:
    """A resource owner who can log in."""

    user_id: str
    username: str
    password_hash: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    enabled: bool = True
    created_at: int = 0
    #: Created through self-service sign-up (docs/self-service.md), not by an administrator.
    self_registered: bool = False


@dataclass(frozen=True, slots=True)
class EmailLink:
    """A mailed self-service link (docs/self-service.md): only the hash of its token is
    stored; it works once (``used_at``) and until ``expires_at``.

    ``purpose`` is ``verify`` (the address ``email`` becomes the user's verified address:
    after sign-up or an email change) or ``reset`` (a password reset).
    """

    link_hash: str
    purpose: str
    user_id: str
    email: str
    created_at: float
    expires_at: float
    used_at: float | None = None


@dataclass(frozen=True, slots=True)
class Mail:
    """A self-service mail to send: ``kind`` names its template (``verify_email``,
    ``reset_password``, ``email_changed``); ``link`` is the one-time link, if any; ``detail``
    the new address of an ``email_changed`` notice."""

    kind: str
    to: str
    name: str
    link: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """An OAuth scope and the user claims it releases (OIDC Core §5.4)."""

    scope_id: str
    description: str = ""
    claims: tuple[str, ...] = ()
    registrable: bool = True


@dataclass(frozen=True, slots=True)
class LoginSession:
    """An authenticated browser session (the ``session_id`` cookie)."""

    session_hash: str
    sid: str
    user_id: str
    auth_time: int
    expires_at: int
    acr: str = "simple_password_auth"
    amr: tuple[str, ...] = ("pwd",)
    #: The User-Agent of the browser that signed in ("" when unknown), at most 512 characters.
    user_agent: str = ""
    #: When the session last served a request (the account page, an authorization).
    last_used_at: int | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    """What a user approved for a client (a remembered consent), with the client's name."""

    client_id: str
    client_name: str
    scope: tuple[str, ...]
    granted_at: float


@dataclass(frozen=True, slots=True)
class AppRevocation:
    """What revoking a user's approval of a client did."""

    #: Whether there was an approval to delete.
    approval: bool
    #: How many of the client's live tokens for the user were revoked.
    tokens: int


@dataclass(frozen=True, slots=True)
class SessionState:
    """A live login session, with what an authorization request for one client needs of it.

    Read in one query at the authorize endpoint (:meth:`ports.SessionStore.state`).
    """

    session: LoginSession
    #: The client the consent was read for.
    client_id: str
    #: The session's user still exists and is enabled.
    user_enabled: bool
    #: The scopes the user has approved for the client the request is for.
    consented: frozenset[str]


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A validated authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1)."""

    client_id: str
    redirect_uri: str
    redirect_uri_given: bool
    response_type: str
    scope: tuple[str, ...]
    state: str | None = None
    nonce: str | None = None
    response_mode: str = "query"
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    login_hint: str | None = None
    acr_values: tuple[str, ...] = ()
    dpop_jkt: str | None = None
    #: Set only on the request a device verification page starts (RFC 8628 §3.3): the hash
    #: of the user code it approves. Such a request never reaches the authorization
    #: endpoint's issuing: it ends on the device approval page.
    user_code_hash: str | None = None
    #: Resource indicators the request named (RFC 8707 §2), checked against the client's.
    resource: tuple[str, ...] = ()
    #: The ``claims`` parameter (OIDC Core §5.5), normalised, as compact JSON.
    claims: str | None = None
    #: ``acr`` values the ``claims`` parameter marks essential (OIDC Core §5.5.1.1).
    acr_essential: bool = False
    #: ``ui_locales`` (OIDC Core §3.1.2.1): the user's preferred languages for the pages,
    #: in order; unknown tags are kept and skipped when a page picks its language.
    ui_locales: tuple[str, ...] = ()
    #: ``kc_idp_hint``: the alias of the upstream provider to sign in with (Keycloak's
    #: parameter), from the query, a pushed request (RFC 9126) or a request object (RFC 9101).
    idp_hint: str | None = None
    #: For a JARM ``response_mode`` (``*.jwt``): the algorithm the client's responses are
    #: signed with, read from its metadata when the request was validated.
    response_signing_alg: str | None = None
    #: For a JARM mode whose client asked for encrypted responses: the key and algorithms,
    #: found when the request was validated (``Sealer.to_json`` in
    #: :mod:`authgate.core.tokens.encryption`).
    response_encryption: Mapping[str, Any] | None = None
    #: The ``sub`` of the request's ``id_token_hint`` (OIDC Core §3.1.2.1), checked to be an
    #: ID Token this server issued to the client: only that user's session may answer.
    id_token_hint_sub: str | None = None
    #: ``authorization_details`` (RFC 9396), checked and normalised compact JSON.
    authorization_details: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict for storage with the sign-in in progress. Members that are None
        (their default) are left out, so that an instance of an earlier version, which does
        not know the newer ones, can still read the request during a rolling upgrade."""
        data = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        data["scope"] = list(self.scope)
        data["ui_locales"] = list(self.ui_locales)
        data["prompt"] = sorted(self.prompt)
        data["acr_values"] = list(self.acr_values)
        data["resource"] = list(self.resource)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        """Rebuild from :meth:`to_json` output; members this version does not know (written
        by a later one) are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["scope"] = tuple(kwargs.get("scope", ()))
        kwargs["prompt"] = frozenset(kwargs.get("prompt", ()))
        kwargs["acr_values"] = tuple(kwargs.get("acr_values", ()))
        kwargs["resource"] = tuple(kwargs.get("resource", ()))
        kwargs["ui_locales"] = tuple(kwargs.get("ui_locales", ()))
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """An issued authorization code, bound to client, redirect URI and PKCE challenge."""

    code_hash: str
    grant_id: str
    client_id: str
    user_id: str
    redirect_uri: str
    redirect_uri_given: bool
    scope: tuple[str, ...]
    issued_at: float
    expires_at: float
    auth_time: int
    sid: str
    acr: str
    amr: tuple[str, ...]
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    consumed_at: float | None = None
    dpop_jkt: str | None = None
    #: The resources the authorization request named (RFC 8707): what the grant authorizes.
    resource: tuple[str, ...] = ()
    #: The request's ``claims`` parameter (OIDC Core §5.5), normalised compact JSON.
    claims: str | None = None
    #: The request's ``authorization_details`` (RFC 9396), normalised compact JSON.
    authorization_details: str | None = None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An issued access or refresh token, stored under the hash of its value."""

    token_hash: str
    kind: TokenKind
    grant_id: str
    client_id: str
    user_id: str | None
    scope: tuple[str, ...]
    issued_at: float
    expires_at: float
    auth_time: int | None = None
    sid: str | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    used_at: float | None = None
    revoked_at: float | None = None
    #: RFC 7638 thumbprint of the DPoP key the token is bound to (RFC 9449 §6), if any.
    jkt: str | None = None
    #: Refresh tokens: the grant's absolute expiry; ``expires_at`` may be earlier (idle limit).
    grant_expires_at: float | None = None
    #: A rotated refresh token: its successors, sealed under a key derived from this token's
    #: own value, kept for the reuse grace window only (see core.grants.refresh_token).
    successor: str | None = None
    #: Access tokens: the audience, when not the client (RFC 8707 resources, RFC 8693
    #: audiences); refresh tokens: the resources the grant authorized.
    audience: tuple[str, ...] = ()
    #: The actor chain of a delegated token (RFC 8693 §4.1 ``act``), if any.
    act: Mapping[str, Any] | None = field(default=None, hash=False)
    #: The grant's ``claims`` parameter (OIDC Core §5.5), normalised compact JSON.
    claims: str | None = None
    #: The grant's ``authorization_details`` (RFC 9396), normalised compact JSON.
    authorization_details: str | None = None


@dataclass(frozen=True, slots=True)
class Interaction:
    """A pending login/consent step of an authorization request, bound to one browser."""

    interaction_id: str
    browser_hash: str
    csrf_token: str
    request: AuthorizationRequest
    expires_at: int
    user_id: str | None = None
    session_hash: str | None = None
    login_done: bool = False
    created_at: int = 0


@dataclass(frozen=True, slots=True)
class PushedRequest:
    """A pushed authorization request (RFC 9126 §2), stored under the hash of its request_uri."""

    request_hash: str
    client_id: str
    params: Mapping[str, str]
    expires_at: float


@dataclass(frozen=True, slots=True)
class LogoutNotice:
    """A back-channel logout notification to deliver (OIDC Back-Channel Logout 1.0 §2.5)."""

    client_id: str
    uri: str
    logout_token: str


@dataclass(frozen=True, slots=True)
class LogoutDelivery:
    """A back-channel logout notice kept until it is delivered or given up."""

    delivery_id: str
    notice: LogoutNotice
    attempts: int = 0
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """Something an operator watches for: a failed or throttled login, a replayed code, a reused
    refresh token, a rate-limit hit, a client registered or deleted.

    Never holds a secret: ``detail`` is a short, fixed description chosen by the code that
    records the event, never request input.
    """

    at: float
    kind: str
    source: str | None = None
    client_id: str | None = None
    user_id: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class InitialAccessToken:
    """An RFC 7591 §3 initial access token: what a registration must present while
    ``dynamicRegistrationPolicy`` is ``initial_access_token``.

    Held only as the hash of its value (:func:`authgate.crypto.handles.handle_hash`); the
    value is shown once, to the administrator who created it. ``token_id`` names it in
    listings and for revocation.
    """

    token_id: str
    token_hash: str
    created_at: float
    expires_at: float
    max_uses: int
    uses: int = 0
    revoked_at: float | None = None
    description: str = ""
    created_by: str = ""

    def usable(self, now: float) -> bool:
        """Not revoked, not expired, and not used up at ``now``."""
        return self.revoked_at is None and now < self.expires_at and self.uses < self.max_uses


@dataclass(frozen=True, slots=True)
class FailureKey:
    """What failed guesses of a secret are counted under (docs/security.md, "Brute-force
    protection").

    ``family`` says which secret (``login``, ``client``, ``registration``, ``interaction``);
    ``subject`` whose (a keyed hash of a username, a client_id, an interaction id), ``""`` for
    every subject; ``source`` from where (an address, or ``device:<id>``), ``""`` for every
    source.
    """

    family: str
    subject: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class FailureCount:
    """The live failure counter of one key."""

    key: FailureKey
    failures: int
    first_at: float
    last_at: float
    #: login counters: the account's user id, when the username exists (for administrators).
    user_id: str | None = None


DeviceStatus = Literal["pending", "approved", "denied", "issued"]


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """A device authorization request (RFC 8628 §3.1-3.2), stored under the hashes of its
    device code and of its normalised user code; neither value is stored.

    ``status`` moves once from ``pending`` to ``approved`` or ``denied`` (the user's answer on
    the verification page), and once from ``approved`` to ``issued`` (the token request that
    received the tokens). ``interval`` is the polling interval in force for this request: it
    grows by 5 s at every ``slow_down`` (RFC 8628 §3.5).
    """

    device_code_hash: str
    user_code_hash: str
    client_id: str
    scope: tuple[str, ...]
    issued_at: float
    expires_at: float
    interval: int
    status: DeviceStatus = "pending"
    last_polled_at: float | None = None
    #: Set by the approval: who approved, and how they had signed in.
    user_id: str | None = None
    auth_time: int | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    decided_at: float | None = None

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True, slots=True)
class SecondFactor:
    """A second factor a user enrolled (:mod:`authgate.core.mfa`), or is enrolling.

    ``secret`` is what the factor's method needs to verify it, as stored: for TOTP the seed
    sealed under a server key (:mod:`authgate.crypto.totp`), never the seed itself.
    ``confirmed_at`` is None while the enrolment waits for its first code. ``last_step`` is
    the last TOTP time step accepted: a code of that step or an earlier one is refused.
    """

    factor_id: str
    user_id: str
    kind: str
    secret: str
    created_at: float
    confirmed_at: float | None = None
    last_step: int | None = None
    last_used_at: float | None = None
    label: str = ""
