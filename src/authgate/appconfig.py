"""The auth-server configuration document (Janssen's ``jansConfDyn``), typed and with defaults.

Property names are Janssen's camelCase names so that a Janssen operator finds the same knobs;
defaults are authgate's, chosen so that the flow document works on a fresh install
(docs/janssen-compatibility.md §8 lists both, and Janssen's values). The document is stored
as JSON in the database and read and changed through the Config API; this model is the only
place its defaults live.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from authgate.appconfig_encryption import EncryptionProperties
from authgate.appconfig_mfa import MfaProperties
from authgate.appconfig_pages import PageProperties
from authgate.appconfig_rates import RateLimitProperties
from authgate.appconfig_registration import RegistrationPolicyProperties
from authgate.appconfig_requests import RequestObjectProperties
from authgate.appconfig_resources import TOKEN_EXCHANGE, ResourceProperties
from authgate.appconfig_security import SecurityProperties
from authgate.appconfig_selfservice import SelfServiceProperties

Lifetime = Annotated[int, Field(ge=1, le=10 * 365 * 86400)]

#: Token endpoint authentication methods this server implements. ``client_secret_jwt`` is
#: not among them: it needs the plaintext client secret as an HMAC key, and authgate stores
#: client secrets only as hashes (RFC 9700 §2.5 prefers asymmetric methods anyway).
IMPLEMENTED_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none", "private_key_jwt")
#: Signature algorithms accepted for private_key_jwt client assertions (RFC 7523 §3).
IMPLEMENTED_ASSERTION_ALGS = tuple(
    f"{family}{bits}" for family in ("RS", "PS", "ES") for bits in (256, 384, 512)
)
#: The device authorization grant (RFC 8628 §3.4).
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
#: Grant types this server implements at the token or authorization endpoint.
IMPLEMENTED_GRANT_TYPES = (
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    DEVICE_CODE_GRANT,
    TOKEN_EXCHANGE,
)
#: Response types this server implements at the authorization endpoint (OIDC Core §3,
#: OAuth 2.0 Multiple Response Type Encoding Practices §3-§5), in canonical spelling; the
#: order of the parts in a request or in ``responseTypesSupported`` does not matter.
IMPLEMENTED_RESPONSE_TYPES = (
    "code",
    "token",
    "id_token",
    "code id_token",
    "code token",
    "id_token token",
    "code id_token token",
)
#: Response modes this server implements (Multiple Response Types §2.1, Form Post Response
#: Mode §2, and JARM §2.3's signed responses: docs/authorization-responses.md).
IMPLEMENTED_RESPONSE_MODES = (
    "query",
    "fragment",
    "form_post",
    "query.jwt",
    "fragment.jwt",
    "form_post.jwt",
    "jwt",
)
#: PKCE methods (RFC 7636 §4.2).
PKCE_METHODS = ("S256", "plain")
#: Marks a secret property (OpenAPI ``writeOnly``): see :data:`SECRET_PROPERTIES`.
WRITE_ONLY: dict[str, Any] = {"writeOnly": True}


class ClientAuthenticationFilter(BaseModel):
    """One entry of ``clientAuthenticationFilters`` (docs/janssen-compatibility.md §6.2).

    ``filter`` is an LDAP-style expression over custom client attributes, such as
    ``myCustomAttr1={0}`` or ``(&(myCustomAttr1={0})(myCustomAttr2={1}))``. Each ``{n}``
    placeholder is replaced by the token request parameter that has the attribute's name.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    filter: str = Field(min_length=3, description="LDAP-style filter over client attributes.")
    bind: bool | str = Field(default=False, description="Accepted for Janssen compatibility.")
    bindPasswordAttribute: str = Field(default="", description="Accepted for compatibility.")
    baseDn: str = Field(default="", description="Accepted for Janssen compatibility.")


class AppConfiguration(
    RateLimitProperties,
    RegistrationPolicyProperties,
    ResourceProperties,
    SecurityProperties,
    RequestObjectProperties,
    EncryptionProperties,
    MfaProperties,
    SelfServiceProperties,
    PageProperties,
):
    """The dynamic auth-server configuration. Unknown properties are refused.

    The browser-security members (CORS, PAR, DPoP, signing keys, OAuth 2.1 profile) are
    declared in :class:`authgate.appconfig_security.SecurityProperties`, the per-source rate
    limits in :class:`authgate.appconfig_rates.RateLimitProperties`, the registration
    policy (who may register, trusted hosts, software statements) in
    :class:`authgate.appconfig_registration.RegistrationPolicyProperties`, resource
    indicators and token exchange in :class:`authgate.appconfig_resources.ResourceProperties`,
    request objects, the claims parameter and JWT introspection responses in
    :class:`authgate.appconfig_requests.RequestObjectProperties`, encrypted responses in
    :class:`authgate.appconfig_encryption.EncryptionProperties`, second factors in
    :class:`authgate.appconfig_mfa.MfaProperties`, self-service (sign-up, email
    verification, password reset, profile changes) in
    :class:`authgate.appconfig_selfservice.SelfServiceProperties`, the pages' languages and
    branding in :class:`authgate.appconfig_pages.PageProperties`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # --- lifetimes (seconds) -------------------------------------------------------------
    accessTokenLifetime: Lifetime = Field(300, description="Access token lifetime in seconds.")
    authorizationCodeLifetime: Lifetime = Field(
        60, description="Authorization code lifetime in seconds (RFC 6749 §4.1.2: short)."
    )
    refreshTokenLifetime: Lifetime = Field(14400, description="Refresh token lifetime in seconds.")
    idTokenLifetime: Lifetime = Field(3600, description="id_token lifetime (exp - iat) in seconds.")
    sessionIdLifetime: Lifetime = Field(
        86400, description="Lifetime of a browser login session (and its cookie) in seconds."
    )
    sessionIdUnauthenticatedUnusedLifetime: Lifetime = Field(
        1800,
        description="How long a pending login/consent interaction stays valid, in seconds.",
    )
    deviceAuthzRequestExpiresIn: int = Field(
        1800,
        ge=60,
        le=86400,
        description="Lifetime in seconds of a device authorization request (RFC 8628 "
        "§3.2 `expires_in`): how long its device code and user code stay valid.",
    )
    deviceAuthzTokenPollInterval: int = Field(
        5,
        ge=1,
        le=600,
        description="Seconds a device must wait between two token requests for one device "
        "code (RFC 8628 §3.2 `interval`); each `slow_down` adds 5 s to that request's "
        "interval (§3.5).",
    )

    # --- dynamic client registration -----------------------------------------------------
    dynamicRegistrationEnabled: bool = Field(
        True,
        description="Accept RFC 7591 registrations at /jans-auth/restv1/register. Off: "
        "403 access_denied and no registration_endpoint in discovery, whatever "
        "dynamicRegistrationPolicy says (`closed` has the same effect).",
    )
    dynamicRegistrationExpirationTime: int = Field(
        -1,
        ge=-1,
        description="Lifetime of dynamically registered clients in seconds; -1 or 0: never.",
    )
    dcrForbidExpirationTimeInRequest: bool = Field(
        False, description="Ignore a client's requested `lifetime` at registration."
    )
    grantTypesAndResponseTypesAutofixEnabled: bool = Field(
        True,
        description="Complete grant types from response types and back at registration "
        "(docs/janssen-compatibility.md §3.3); on so the flow document's client gets a "
        "refresh_token grant.",
    )
    clientRegDefaultToCodeFlowWithRefresh: bool = Field(
        True, description="With autofix: a code client also gets the refresh_token grant."
    )
    grantTypesSupported: list[str] = Field(
        default_factory=lambda: [
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
            DEVICE_CODE_GRANT,
        ],
        description="Grant types allowed server-wide. Token exchange "
        "(`urn:ietf:params:oauth:grant-type:token-exchange`, RFC 8693) is off until added here.",
    )
    grantTypesSupportedByDynamicRegistration: list[str] = Field(
        default_factory=lambda: [
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
            DEVICE_CODE_GRANT,
        ],
        description="Grant types a dynamically registered client may have (client_credentials "
        "only a confidential client); registration refuses any other, naming it.",
    )
    responseTypesSupported: list[str] = Field(
        default_factory=lambda: [
            "code",
            "token",
            "id_token",
            "code id_token",
            "code token",
            "token id_token",
            "code token id_token",
        ],
        description="Response types (space-separated sets) clients may register.",
    )
    responseModesSupported: list[str] = Field(
        default_factory=lambda: list(IMPLEMENTED_RESPONSE_MODES),
        description="Response modes allowed server-wide (`query`, `fragment`, `form_post`, "
        "and the signed JARM modes `query.jwt`, `fragment.jwt`, `form_post.jwt`, `jwt`). "
        "`query` and `query.jwt` are never used for responses that carry tokens.",
    )
    implicitFlowEnabled: bool = Field(
        True,
        description="Allow the `implicit` grant: every response type that returns an access "
        "token or an id_token from the authorization endpoint (`token`, `id_token`, "
        "`id_token token` and the hybrid `code id_token`, `code token`, `code id_token token`). "
        "On because the flow document registers `token` and `id_token`; RFC 9700 §2.1.2 "
        "discourages tokens in the front channel, so turn it off when no client needs it. "
        "authgate extension; Janssen has no such property.",
    )
    tokenEndpointAuthMethodsSupported: list[str] = Field(
        default_factory=lambda: list(IMPLEMENTED_AUTH_METHODS),
        description="Client authentication methods accepted at registration and the token "
        "endpoint. Includes `none` so public clients (SPAs, mobile apps) can register.",
    )
    tokenEndpointAuthSigningAlgValuesSupported: list[str] = Field(
        default_factory=lambda: list(IMPLEMENTED_ASSERTION_ALGS),
        description="Signature algorithms accepted for private_key_jwt client assertions and "
        "registrable as token_endpoint_auth_signing_alg (asymmetric only).",
    )
    subjectTypesSupported: list[Literal["public", "pairwise"]] = Field(
        default_factory=lambda: ["public", "pairwise"],  # type: ignore[arg-type]
        description="Subject identifier types.",
    )
    defaultSubjectType: Literal["public", "pairwise"] = Field(
        "pairwise", description="Subject type for clients that do not ask for one."
    )
    dynamicRegistrationScopesParamEnabled: bool = Field(
        True,
        description="Honour the `scope` member of registration requests. Off: every client "
        "gets all registrable scopes (a requested scope must still be registrable).",
    )
    dynamicRegistrationCustomAttributes: list[str] = Field(
        default_factory=list,
        description="Extra registration members stored as custom client attributes "
        "(usable by clientAuthenticationFilters).",
    )
    dynamicRegistrationPersistClientAuthorizations: bool = Field(
        True, description="Remember a user's consent per client so it is asked once."
    )
    clientWhiteList: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Patterns (`*` wildcard) every registered redirect URI must match.",
    )
    clientBlackList: list[str] = Field(
        default_factory=list,
        description="Patterns (`*` wildcard) no registered redirect URI may match.",
    )

    # --- PKCE ----------------------------------------------------------------------------
    requirePkce: bool = Field(False, description="Require PKCE from every client.")
    requirePkceForPublicClients: bool = Field(
        True,
        description="Require PKCE from public clients (token_endpoint_auth_method=none); "
        "OAuth 2.1 and RFC 9700 §2.1.1. authgate extension; Janssen has no such default.",
    )
    codeChallengeMethodsSupported: list[Literal["S256", "plain"]] = Field(
        default_factory=lambda: ["S256", "plain"],  # type: ignore[arg-type]
        description="Accepted code_challenge_method values; remove `plain` to refuse it. "
        "Advertised as code_challenge_methods_supported.",
    )

    # --- client authentication -----------------------------------------------------------
    clientAuthenticationFiltersEnabled: bool = Field(
        False,
        description="Authenticate secret-less token requests only through "
        "clientAuthenticationFilters (docs/janssen-compatibility.md §6.2). When true, public "
        "clients get 401.",
    )
    clientAuthenticationFilters: list[ClientAuthenticationFilter] = Field(
        default_factory=list, description="Filters used when the property above is true."
    )

    # --- tokens and id_tokens ------------------------------------------------------------
    forceOfflineAccessScopeToEnableRefreshToken: bool = Field(
        False, description="Issue refresh tokens only when `offline_access` was granted."
    )
    refreshTokenReuseGracePeriod: int = Field(
        10,
        ge=0,
        le=300,
        description="Seconds after a refresh token was rotated during which presenting it again "
        "returns the same new token pair instead of revoking the grant (a retry after a lost "
        "response, two browser tabs refreshing at once). 0: every reuse revokes the grant. "
        "authgate extension (RFC 9700 §4.14.2 reuse detection).",
    )
    refreshTokenIdleLifetime: int = Field(
        0,
        ge=0,
        le=10 * 365 * 86400,
        description="A refresh token not used for this many seconds expires, even before "
        "refreshTokenLifetime (the absolute limit of the grant). 0: no idle limit. "
        "authgate extension (RFC 9700 §4.14.2).",
    )
    rotateRefreshTokensForConfidentialClients: bool = Field(
        True,
        description="Rotate refresh tokens of confidential clients too (public clients always "
        "rotate, RFC 9700 §4.14.2). When false they keep their refresh token and the refresh "
        "response carries none.",
    )
    jansOpenIdConnectVersion: str = Field(
        "openidconnect-1.0", description="Value of the id_token's jansOpenIDConnectVersion."
    )
    pairwiseIdType: Literal["algorithmic"] = Field(
        "algorithmic", description="How pairwise subject identifiers are computed."
    )
    pairwiseCalculationKey: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        min_length=16,
        description="HMAC key for pairwise subjects (and DPoP nonces); generated at first "
        "start. Write-only: the Config API and the CLI never show it.",
        json_schema_extra=WRITE_ONLY,
    )
    pairwiseCalculationSalt: str = Field(
        default_factory=lambda: secrets.token_urlsafe(16),
        min_length=8,
        description="Salt for pairwise subjects; generated at first start. Write-only: the "
        "Config API and the CLI never show it.",
        json_schema_extra=WRITE_ONLY,
    )

    # --- logout ------------------------------------------------------------------------
    backchannelLogoutDeliveryTimeout: int = Field(
        5,
        ge=1,
        le=30,
        description="Seconds one back-channel logout request may take (connect, send, read) "
        "before it counts as failed.",
    )
    backchannelLogoutDeliveryAttempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Attempts to deliver a back-channel Logout Token before giving up; retries "
        "follow network errors, timeouts and 5xx/408/429 answers, with exponential backoff.",
    )

    # --- responses -----------------------------------------------------------------------
    errorReasonEnabled: bool = Field(
        False, description="Add a specific `reason` member to error responses."
    )
    authorizationResponseIssParameterSupported: bool = Field(
        True, description="Add `iss` to every authorization response (RFC 9207)."
    )

    # --- developer pages -----------------------------------------------------------------
    playgroundEnabled: bool = Field(
        True,
        description="Serve the PKCE playground at /playground: a page that runs the flow "
        "document's four steps against this server in the browser, through the public "
        "endpoints only (it registers one public client per visit). Off: the page and its "
        "assets answer 404. authgate extension.",
    )

    @field_validator("tokenEndpointAuthMethodsSupported")
    @classmethod
    def _known_auth_methods(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(IMPLEMENTED_AUTH_METHODS))
        if unknown:
            why = (
                " (client_secret_jwt needs the plaintext client secret, which authgate does not "
                "keep: secrets are stored hashed; use private_key_jwt)"
                if "client_secret_jwt" in unknown
                else ""
            )
            raise ValueError(
                f"unsupported method(s) {unknown}; known: {IMPLEMENTED_AUTH_METHODS}{why}"
            )
        return value

    @field_validator("tokenEndpointAuthSigningAlgValuesSupported")
    @classmethod
    def _known_assertion_algs(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(IMPLEMENTED_ASSERTION_ALGS))
        if unknown:
            raise ValueError(
                f"unsupported algorithm(s) {unknown}; known: {IMPLEMENTED_ASSERTION_ALGS}"
            )
        return value

    @field_validator("codeChallengeMethodsSupported")
    @classmethod
    def _s256_mandatory(cls, value: list[str]) -> list[str]:
        if "S256" not in value:
            raise ValueError("S256 is mandatory to implement (RFC 7636 §4.2) and cannot be removed")
        return value

    @model_validator(mode="after")
    def _default_subject_supported(self) -> AppConfiguration:
        if self.defaultSubjectType not in self.subjectTypesSupported:
            raise ValueError("defaultSubjectType must be one of subjectTypesSupported")
        return self

    def to_document(self) -> dict[str, Any]:
        """The JSON document as stored and served by the Config API."""
        return self.model_dump(mode="json")

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> AppConfiguration:
        """Validate a stored or patched document.

        Raises:
            pydantic.ValidationError: naming each offending property.
        """
        return cls.model_validate(document)


#: The secret properties (marked :data:`WRITE_ONLY`): the Config API and the CLI never return
#: them; a JSON Patch sets them with ``add``/``replace`` and keeps them when it does not name
#: them (:mod:`authgate.admin.config_secrets`).
SECRET_PROPERTIES = frozenset(
    name
    for name, field in AppConfiguration.model_fields.items()
    if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("writeOnly")
)
