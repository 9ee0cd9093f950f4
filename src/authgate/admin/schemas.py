"""Config API request and response bodies: typed, validated, and the source of the OpenAPI
schemas (:mod:`authgate.admin.openapi`), so the document and the code cannot drift apart.

Client members use the RFC 7591 snake_case names of the registration endpoint.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from authgate.appconfig_resources import check_audiences, check_resources
from authgate.core.types import (
    ATTRIBUTE_NAME_MAX,
    ATTRIBUTE_VALUE_MAX,
    CLIENT_NAME_MAX,
    ClientMetadata,
)

AuthMethod = Literal["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ClientIn(_In):
    """A client as an administrator creates or replaces it (PUT replaces every member)."""

    client_name: str = Field("", max_length=CLIENT_NAME_MAX)
    redirect_uris: list[str] = Field(default_factory=list)
    grant_types: list[str] = Field(default_factory=lambda: ["authorization_code"])
    response_types: list[str] = Field(default_factory=lambda: ["code"])
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"  # noqa: S105
    additional_token_endpoint_auth_methods: list[AuthMethod] = Field(default_factory=list)
    scope: list[str] = Field(default_factory=list)
    application_type: Literal["web", "native"] = "web"
    subject_type: Literal["public", "pairwise"] | None = None
    require_pkce: bool = False
    access_token_lifetime: int | None = Field(None, ge=1, le=86400 * 365)
    additional_audience: list[str] = Field(default_factory=list)
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    frontchannel_logout_uri: str | None = Field(
        None,
        description="Page the end_session page loads in a hidden iframe when the user logs "
        "out (OpenID Connect Front-Channel Logout 1.0): https (http on a loopback host), no "
        "fragment, on the scheme, host and port of a redirect URI.",
    )
    frontchannel_logout_session_required: bool = Field(
        False, description="Add `iss` and `sid` to the frontchannel_logout_uri's query."
    )
    contacts: list[str] = Field(default_factory=list)
    client_uri: str | None = None
    logo_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    custom_attributes: dict[str, str] = Field(default_factory=dict)
    authorized_origins: list[str] = Field(
        default_factory=list, description="Extra web origins allowed for CORS."
    )
    dpop_bound_access_tokens: bool = False
    allowed_resources: list[str] = Field(
        default_factory=list,
        description="Resource indicators (RFC 8707) the client may name; empty: the server's "
        "defaultResourceIndicators.",
    )
    token_exchange_audiences: list[str] = Field(
        default_factory=list,
        description="Audiences and resources the client may ask for in a token exchange "
        "(RFC 8693); empty: it may not exchange tokens.",
    )
    backchannel_logout_uri: list[str] = Field(
        default_factory=list,
        description="Where the server POSTs a logout token when the user's session ends "
        "(OpenID Connect Back-Channel Logout 1.0): https (http on a loopback host).",
    )
    backchannel_logout_session_required: bool = Field(
        False, description="Put `sid` in the logout token."
    )
    jwks: dict[str, Any] | None = Field(
        None,
        description="The client's public signing keys as a JWK Set, for private_key_jwt "
        "(RFC 7523) and signed request objects; not together with jwks_uri.",
    )
    jwks_uri: str | None = Field(
        None, description="Where the client publishes its JWK Set (https); not with jwks."
    )
    token_endpoint_auth_signing_alg: str | None = Field(
        None, description="The only algorithm accepted for its private_key_jwt assertions."
    )
    id_token_signed_response_alg: str | None = Field(
        None, description="Signs its id_tokens; empty: the server's defaultSignatureAlgorithm."
    )
    access_token_signing_alg: str | None = Field(
        None, description="Signs its JWT access tokens; empty: defaultSignatureAlgorithm."
    )
    access_token_as_jwt: bool = Field(False, description="Issue JWT access tokens (RFC 9068).")
    require_par: bool = Field(
        False, description="Accept authorization requests only through PAR (RFC 9126)."
    )
    par_lifetime: int = Field(600, ge=1, le=86400, description="Seconds a request_uri lives.")
    default_max_age: int | None = Field(
        None, ge=0, description="max_age when the request sends none (OIDC Core §3.1.2.1)."
    )
    require_auth_time: bool = Field(False, description="Always put auth_time in id_tokens.")
    default_acr_values: list[str] = Field(
        default_factory=list, description="acr_values when the request sends none."
    )
    request_object_signing_alg: str | None = Field(
        None, description="The only algorithm accepted for its request objects (RFC 9101)."
    )
    require_signed_request_object: bool = Field(
        False, description="Accept authorization requests only as signed request objects."
    )
    introspection_signed_response_alg: str | None = Field(
        None, description="Answer its introspection requests as signed JWTs (RFC 9701)."
    )
    authorization_signed_response_alg: str | None = Field(
        None,
        description="Signs its JARM authorization responses (response_mode=jwt); empty: RS256.",
    )
    userinfo_signed_response_alg: str | None = Field(
        None, description="Answer its userinfo requests as signed JWTs (OIDC Core §5.3.2)."
    )
    id_token_encrypted_response_alg: str | None = Field(
        None, description="Encrypt its id_tokens to its key with this algorithm (RSA-OAEP, ...)."
    )
    id_token_encrypted_response_enc: str | None = Field(
        None, description="Content encryption of its id_tokens; empty: A128CBC-HS256."
    )
    userinfo_encrypted_response_alg: str | None = Field(
        None, description="Encrypt its userinfo responses to its key with this algorithm."
    )
    userinfo_encrypted_response_enc: str | None = Field(
        None, description="Content encryption of its userinfo responses; empty: A128CBC-HS256."
    )
    authorization_encrypted_response_alg: str | None = Field(
        None, description="Encrypt its JARM authorization responses to its key."
    )
    authorization_encrypted_response_enc: str | None = Field(
        None, description="Content encryption of its JARM responses; empty: A128CBC-HS256."
    )
    introspection_encrypted_response_alg: str | None = Field(
        None, description="Encrypt its JWT introspection responses (RFC 9701) to its key."
    )
    introspection_encrypted_response_enc: str | None = Field(
        None, description="Content encryption of its introspection JWTs; empty: A128CBC-HS256."
    )
    authorization_details_types: list[str] = Field(
        default_factory=list,
        description="The authorization_details types it uses (RFC 9396); empty: any the "
        "server supports (authorizationDetailsTypesSupported).",
    )
    sector_identifier_uri: str | None = Field(
        None,
        description="https document listing its redirect URIs: pairwise subjects are computed "
        "for its host (OIDC Core §8.1); fetched and checked when the client is saved.",
    )
    disabled: bool = False

    @field_validator("allowed_resources")
    @classmethod
    def _resources(cls, value: list[str]) -> list[str]:
        return check_resources(value)

    @field_validator("token_exchange_audiences")
    @classmethod
    def _audiences(cls, value: list[str]) -> list[str]:
        return check_audiences(value)

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_string(cls, value: Any) -> Any:
        """``scope`` as a JSON array or a space-separated string, as at registration."""
        return value.split() if isinstance(value, str) else value

    @field_validator("custom_attributes")
    @classmethod
    def _attribute_sizes(cls, value: dict[str, str]) -> dict[str, str]:
        """Names and values fit what a client record holds, on every database."""
        for name, item in value.items():
            if not 0 < len(name) <= ATTRIBUTE_NAME_MAX:
                raise ValueError(f"attribute names are 1 to {ATTRIBUTE_NAME_MAX} characters")
            if len(item) > ATTRIBUTE_VALUE_MAX:
                raise ValueError(f"attribute {name}: at most {ATTRIBUTE_VALUE_MAX} characters")
        return value


class ScopeIn(_In):
    scope_id: str = Field(min_length=1, max_length=255, pattern=r"^[\x21\x23-\x5B\x5D-\x7E]+$")
    description: str = Field("", max_length=2000)
    claims: list[str] = Field(default_factory=list)
    registrable: bool = Field(True, description="May dynamically registered clients ask for it.")


class ScopeUpdate(_In):
    description: str = Field("", max_length=2000)
    claims: list[str] = Field(default_factory=list)
    registrable: bool = True


#: Letters, digits and ``. _ - @ +``, starting with a letter or digit: no spaces or controls.
USERNAME = re.compile(r"[^\W_][\w.@+-]*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: ``local@domain``: a dot-atom local part (RFC 5322 §3.4.1) and a domain of DNS labels.
EMAIL = re.compile(rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+)*"
                   rf"@{_LABEL}(?:\.{_LABEL})*")  # fmt: skip


def check_email(value: str | None) -> str | None:
    if value is not None and not EMAIL.fullmatch(value):
        raise ValueError("not an email address (name@example.com)")
    return value


class UserIn(_In):
    username: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=8, max_length=1024)
    email: str | None = Field(None, max_length=320)
    email_verified: bool = False
    name: str | None = Field(None, max_length=255)
    given_name: str | None = Field(None, max_length=255)
    family_name: str | None = Field(None, max_length=255)
    enabled: bool = True

    @field_validator("username")
    @classmethod
    def _username_shape(cls, value: str) -> str:
        if not USERNAME.fullmatch(value):
            raise ValueError(
                "use letters, digits and . _ - @ + only, starting with a letter or digit"
            )
        return value

    _email = field_validator("email")(check_email)


class UserUpdate(_In):
    """Members to change; members left out keep their value. ``enabled: false`` disables
    the user, ends their sessions and revokes their tokens."""

    email: str | None = Field(None, max_length=320)
    email_verified: bool | None = None
    name: str | None = Field(None, max_length=255)
    given_name: str | None = Field(None, max_length=255)
    family_name: str | None = Field(None, max_length=255)
    enabled: bool | None = None

    _email = field_validator("email")(check_email)


class PasswordIn(_In):
    password: str = Field(min_length=8, max_length=1024)


class InitialTokenIn(_In):
    """An initial access token to issue (RFC 7591 §3)."""

    description: str = Field(
        "", max_length=255, description="What the token is for, for the administrator."
    )
    expires_in: int = Field(
        86400, ge=60, le=365 * 86400, description="Seconds until the token expires."
    )
    max_uses: int = Field(
        1, ge=1, le=1_000_000, description="How many clients the token may register."
    )


# --- responses -------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ClientAdminMembers(_Out):
    client_id: str
    client_id_issued_at: int
    client_secret_expires_at: int
    expires_at: int | None
    disabled: bool
    has_secret: bool = Field(description="Whether the client has a secret (never returned).")
    client_secret: str | None = Field(
        None, description="Only in the response that created the secret: shown once."
    )


def _metadata_fields() -> dict[str, Any]:
    hints = typing.get_type_hints(ClientMetadata)
    return {f.name: (hints[f.name], ...) for f in dataclasses.fields(ClientMetadata) if f.init}


#: A client: the admin members above plus every registration metadata member.
ClientOut: type[ClientAdminMembers] = create_model(
    "ClientOut", __base__=ClientAdminMembers, **_metadata_fields()
)


class ScopeOut(_Out):
    scope_id: str
    description: str
    claims: list[str]
    registrable: bool


class UserOut(_Out):
    user_id: str
    username: str
    email: str | None
    email_verified: bool
    name: str | None
    given_name: str | None
    family_name: str | None
    enabled: bool
    created_at: int


class KeyOut(_Out):
    kid: str
    alg: str
    created_at: int
    signs_from: int = Field(description="When the key signs (or signed) its first token.")
    expires_at: int | None = Field(description="When a superseded key leaves the JWKS.")
    status: Literal["signing", "next", "retiring", "retired"] = Field(
        description="signing: signs now; next: published, signs from signs_from; retiring: "
        "superseded, still in the JWKS; retired: past expires_at, deleted at the next rotation."
    )
    jwk: dict[str, Any] = Field(description="The public JWK as published in the JWKS.")


class SuccessorOut(_Out):
    alg: str
    kid: str
    signs_from: int
    retiring: list[str] = Field(description="Keys it supersedes.")
    retire_at: int | None = Field(description="When the superseded keys leave the JWKS.")


class RotationOut(_Out):
    keys: list[SuccessorOut]
    removed: list[str] = Field(description="Retired keys deleted by this rotation.")


class SessionOut(_Out):
    sid: str
    user_id: str
    username: str | None
    auth_time: int
    expires_at: int
    acr: str
    amr: list[str]
    idp: str | None = Field(None, description="The upstream identity provider signed in with.")


class AuditOut(_Out):
    entry_id: int
    at: float
    actor: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class SecurityEventOut(_Out):
    """A security event (never a secret: ``detail`` is a fixed text chosen by the server)."""

    at: float
    kind: str
    source: str | None
    client_id: str | None
    user_id: str | None
    detail: str


class InitialTokenOut(_Out):
    """An initial access token as listed: never its value or hash."""

    token_id: str = Field(description="Names the token for revocation; not the token.")
    description: str
    created_by: str
    created_at: float
    expires_at: float
    max_uses: int
    uses: int = Field(description="Clients registered with the token so far.")
    revoked_at: float | None
    state: Literal["active", "used_up", "expired", "revoked"]


class IssuedInitialTokenOut(InitialTokenOut):
    """A token just issued, with its value: the only response that ever carries it."""

    initial_access_token: str = Field(
        description="Shown once: authgate keeps only its hash. Send it as "
        "`Authorization: Bearer <token>` with a registration request."
    )
    notice: str = Field(description="Says that the value is shown once.")


class LockoutOut(_Out):
    """A brute-force protection counter (docs/security.md, "Brute-force protection").
    ``subject`` or ``source`` null: the counter of every subject, or of every source."""

    id: str = Field(description="Names this counter in DELETE .../lockouts/{id}.")
    family: str = Field(
        description="What was guessed: login (passwords), client (client credentials), "
        "registration (registration access tokens)."
    )
    subject: str | None = Field(
        description="A login counter's keyed hash of the username, or the client_id."
    )
    source: str | None = Field(description="The address (or device:<id>) failures came from.")
    username: str | None = Field(description="The account of a login counter, if it exists.")
    client_id: str | None
    failures: int
    first_failure_at: float
    last_failure_at: float
    state: Literal["counting", "throttled", "locked"]
    blocked_until: float | None = Field(
        description="Until when attempts from the source must wait (throttled), or the "
        "account or client is locked out (locked)."
    )


class ClearedOut(_Out):
    cleared: int = Field(description="How many counters were deleted.")


class GrantOut(_Out):
    """An app the user approved (a remembered consent)."""

    client_id: str
    client_name: str
    scope: list[str]
    granted_at: float


class GrantRevokedOut(_Out):
    client_id: str
    tokens_revoked: int = Field(description="How many live tokens of the client were revoked.")


class GrantsRevokedOut(_Out):
    revoked: list[str] = Field(description="The client ids whose grants were revoked.")


class UserSessionOut(_Out):
    """A live login session of one user; ``device`` is the browser's User-Agent."""

    sid: str
    auth_time: int
    expires_at: int
    last_used_at: int | None
    acr: str
    amr: list[str]
    idp: str | None = Field(None, description="The upstream identity provider signed in with.")
    user_agent: str


class SessionsEndedOut(_Out):
    ended: int = Field(description="How many sessions were ended (each with back-channel logout).")


class FactorOut(_Out):
    """A user's authenticator app (TOTP), without its seed."""

    factor_id: str
    kind: str
    label: str
    created_at: float
    confirmed: bool = Field(description="False while the enrolment waits for its first code.")
    last_used_at: float | None


class PasskeyOut(_Out):
    """A user's passkey, without key material."""

    credential_id: str
    name: str
    created_at: float
    last_used_at: float | None
    sign_count: int
    transports: list[str]
    backup_eligible: bool
    backup_state: bool
    aaguid: str


class UserFactorsOut(_Out):
    """Everything a user enrolled for sign-in besides the password (no secret)."""

    user_id: str
    username: str
    factors: list[FactorOut]
    passkeys: list[PasskeyOut]
    recovery_codes_left: int


class FactorsResetOut(_Out):
    removed: dict[str, int] = Field(
        description="How many items of each method were removed (totp, webauthn, recovery)."
    )


class ErrorOut(_Out):
    error: str
    error_description: str
    reason: str | None = None
