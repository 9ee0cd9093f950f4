"""Browser-grade security properties of the configuration document: CORS, PAR, DPoP, signing
keys and their rotation, brute-force protection (its members in
:mod:`authgate.appconfig_protection`), and the OAuth 2.1 profile switch.

:class:`SecurityProperties` is the base of :class:`authgate.appconfig.AppConfiguration`; it
exists only to keep each module small, so these properties are ordinary members of the one
configuration document. Names are Janssen's where Janssen has the property
(docs/janssen-compatibility.md §8.2).

``corsConfigurationFilters`` entries keep Janssen's CORS filter shape. Janssen applies them
to every endpoint with ``*`` origins and credentials on by default. authgate keeps the member
names but not those defaults (docs/security.md): CORS answers only on the back-channel
endpoints, a client-bound endpoint allows the origins of the requesting client's redirect
URIs and ``authorized_origins``, and credentials are never combined with a wildcard origin
(Fetch standard, CORS protocol; RFC 9700 §2.6).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from authgate.appconfig_protection import AuthenticationProtectionConfiguration

#: JWS algorithms authgate can sign id_tokens and JWT access tokens with (one key each).
SigningAlg = Literal["RS256", "ES256", "PS256"]
IMPLEMENTED_SIGNING_ALGS: tuple[SigningAlg, ...] = ("RS256", "ES256", "PS256")
#: Asymmetric JWS algorithms accepted for DPoP proofs (RFC 9449 §4.2: never none or MAC).
#: Ed25519 is the fully specified name; the polymorphic "EdDSA" is deprecated (RFC 9864).
IMPLEMENTED_DPOP_ALGS = (
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512",
    "RS256",
    "RS384",
    "RS512",
    "Ed25519",
)
Seconds = Annotated[int, Field(ge=1, le=86400)]

DEFAULT_ALLOWED_HEADERS = (
    "Origin,Authorization,Accept,X-Requested-With,Content-Type,"
    "Access-Control-Request-Method,Access-Control-Request-Headers,DPoP"
)


def split_list(value: str) -> list[str]:
    """A Janssen list-valued string (``"GET, POST"`` or ``"a b"``) as its items."""
    return [item for item in value.replace(",", " ").split() if item]


class CorsConfigurationFilter(BaseModel):
    """One CORS filter. Several enabled filters are combined (union of what they allow)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filterName: str = Field("CorsFilter", description="Name, for the operator's reference.")
    corsEnabled: bool = Field(
        True, description="Whether this filter applies. With no enabled filter, no CORS at all."
    )
    corsAllowedOrigins: str = Field(
        "",
        description="Origins allowed on every CORS endpoint in addition to each client's own "
        "(space or comma separated, e.g. `https://app.example.com`). `*` allows any origin "
        "(Janssen's stock value; answered as `*`, never with credentials). Empty: only the "
        "client's origins.",
    )
    corsAllowClientOrigins: bool = Field(
        True,
        description="authgate extension: on client-bound endpoints (token, userinfo, PAR, "
        "revocation, introspection) allow the origins of the client's redirect URIs and "
        "`authorized_origins`, and on error answers the origins any client registered. Turn "
        "off to allow only `corsAllowedOrigins`.",
    )
    corsAllowedMethods: str = Field(
        "GET,POST,HEAD,OPTIONS", description="Methods a preflight may ask for."
    )
    corsAllowedHeaders: str = Field(
        DEFAULT_ALLOWED_HEADERS, description="Request headers a preflight may ask for."
    )
    corsExposedHeaders: str = Field(
        "DPoP-Nonce,WWW-Authenticate",
        description="Response headers scripts may read, in addition to WWW-Authenticate and "
        "DPoP-Nonce, which every CORS answer exposes (RFC 6750 §3, RFC 9449 §8).",
    )
    corsSupportCredentials: bool = Field(
        False,
        description="Send Access-Control-Allow-Credentials for explicitly matched origins. "
        "No authgate endpoint needs cookies cross-origin; refused together with `*`.",
    )
    corsLoggingEnabled: bool = Field(False, description="Log refused cross-origin requests.")
    corsPreflightMaxAge: int = Field(
        1800, ge=0, le=86400, description="Seconds a browser may cache a preflight answer."
    )
    corsRequestDecorate: bool = Field(
        True, description="Accepted for Janssen compatibility; no effect."
    )

    @model_validator(mode="after")
    def _no_wildcard_with_credentials(self) -> CorsConfigurationFilter:
        if self.corsSupportCredentials and "*" in split_list(self.corsAllowedOrigins):
            raise ValueError(
                "corsSupportCredentials cannot be true when corsAllowedOrigins contains '*': "
                "a wildcard origin with credentials would let any site read responses"
            )
        return self


class SecurityProperties(BaseModel):
    """The browser-security members of the configuration document (see docs/security.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # --- signing keys ---------------------------------------------------------------------
    defaultSignatureAlgorithm: SigningAlg = Field(
        "RS256", description="id_token and JWT access token algorithm for clients that name none."
    )
    idTokenSigningAlgValuesSupported: list[SigningAlg] = Field(
        default_factory=lambda: list(IMPLEMENTED_SIGNING_ALGS),
        description="id_token signing algorithms; a key is kept for each.",
    )
    accessTokenSigningAlgValuesSupported: list[SigningAlg] = Field(
        default_factory=lambda: list(IMPLEMENTED_SIGNING_ALGS),
        description="JWT access token (RFC 9068) signing algorithms; a key is kept for each.",
    )
    keyRegenerationEnabled: bool = Field(
        True,
        description="Generate a new signing key per algorithm every keyRegenerationInterval; "
        "it is published in the JWKS before it signs, and old keys stay published until "
        "every token they signed has expired.",
    )
    keyRegenerationInterval: int = Field(
        48, ge=1, le=24 * 365, description="Hours between signing key generations."
    )

    # --- CORS -----------------------------------------------------------------------------
    corsConfigurationFilters: list[CorsConfigurationFilter] = Field(
        default_factory=lambda: [CorsConfigurationFilter()],
        description="CORS policy for the back-channel endpoints (never the authorize endpoint).",
    )

    # --- PAR (RFC 9126) -------------------------------------------------------------------
    requirePar: bool = Field(
        False, description="Require pushed authorization requests from every client."
    )

    # --- DPoP (RFC 9449) ------------------------------------------------------------------
    dpopSigningAlgValuesSupported: list[str] = Field(
        default_factory=lambda: ["ES256", "PS256", "RS256", "Ed25519"],
        description="Algorithms accepted for DPoP proofs (advertised in discovery).",
    )
    dpopTimeframe: Seconds = Field(
        60,
        description="Seconds a DPoP proof is accepted after (or before) its iat; also how "
        "long its jti is remembered to refuse replays.",
    )
    dpopUseNonce: bool = Field(
        False, description="Require a server-provided DPoP nonce in every proof (RFC 9449 §8)."
    )
    dpopNonceCacheTime: Seconds = Field(
        300, description="Seconds a server DPoP nonce stays valid (two windows are accepted)."
    )
    dpopJktForceForAuthorizationCode: bool = Field(
        False, description="Require dpop_jkt in every authorization request (RFC 9449 §10)."
    )

    # --- brute-force protection ---------------------------------------------------------
    authenticationProtectionConfiguration: AuthenticationProtectionConfiguration = Field(
        default_factory=AuthenticationProtectionConfiguration,
        description="Brute-force protection of passwords, client secrets and assertions, and "
        "registration access tokens (Janssen's shape, with authgate's additions; see the "
        "table below and docs/security.md).",
    )

    # --- OAuth 2.1 profile ----------------------------------------------------------------
    oauth21ProfileEnabled: bool = Field(
        False,
        description="authgate extension: OAuth 2.1 in one switch. Refuses the implicit and "
        "password grants and response types that return tokens from the authorization "
        "endpoint, accepts only S256 for PKCE, requires PKCE from public clients and forces "
        "`iss` in authorization responses, whatever the individual properties say.",
    )

    @field_validator("dpopSigningAlgValuesSupported")
    @classmethod
    def _asymmetric_dpop_algs(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(IMPLEMENTED_DPOP_ALGS))
        if unknown:
            raise ValueError(f"unsupported DPoP alg(s) {unknown}; known: {IMPLEMENTED_DPOP_ALGS}")
        return value

    @model_validator(mode="after")
    def _default_alg_supported(self) -> SecurityProperties:
        if self.defaultSignatureAlgorithm not in self.idTokenSigningAlgValuesSupported:
            raise ValueError(
                "defaultSignatureAlgorithm must be in idTokenSigningAlgValuesSupported"
            )
        if self.defaultSignatureAlgorithm not in self.accessTokenSigningAlgValuesSupported:
            raise ValueError(
                "defaultSignatureAlgorithm must be in accessTokenSigningAlgValuesSupported"
            )
        return self

    @property
    def signing_algorithms(self) -> tuple[SigningAlg, ...]:
        """Every algorithm a signing key must exist for, in a stable order."""
        wanted = {
            *self.idTokenSigningAlgValuesSupported,
            *self.accessTokenSigningAlgValuesSupported,
        }
        return tuple(alg for alg in IMPLEMENTED_SIGNING_ALGS if alg in wanted)
