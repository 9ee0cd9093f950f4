"""The configuration document's members for request objects (RFC 9101, OIDC Core §6), the
``claims`` parameter (OIDC Core §5.5), JWT introspection responses (RFC 9701), signed
authorization responses (JARM) and signed UserInfo responses (OIDC Core §5.3.2).

Declared apart from :mod:`authgate.appconfig` only to keep each module small; see
docs/request-objects.md and docs/authorization-responses.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Algorithms a client may sign request objects with (RFC 9101 §6.1): asymmetric only, since
#: client secrets are stored as hashes and cannot serve as HMAC keys.
RequestObjectAlg = Literal["RS256", "PS256", "ES256"]
IMPLEMENTED_REQUEST_OBJECT_ALGS: tuple[RequestObjectAlg, ...] = ("RS256", "PS256", "ES256")
IntrospectionAlg = Literal["RS256", "ES256", "PS256"]
IMPLEMENTED_INTROSPECTION_ALGS: tuple[IntrospectionAlg, ...] = ("RS256", "ES256", "PS256")
#: Algorithms of the responses the server signs with its own keys (asymmetric only).
SigningAlg = Literal["RS256", "ES256", "PS256"]
IMPLEMENTED_USERINFO_ALGS: tuple[SigningAlg, ...] = ("RS256", "ES256", "PS256")
AuthorizationResponseAlg = Literal["RS256", "ES256", "PS256"]
IMPLEMENTED_AUTHORIZATION_RESPONSE_ALGS: tuple[AuthorizationResponseAlg, ...] = (
    "RS256",
    "ES256",
    "PS256",
)


class RequestObjectProperties(BaseModel):
    """Request objects, the claims parameter, signed introspection, authorization and
    UserInfo responses."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    requestParameterSupported: bool = Field(
        True,
        description="Accept request objects by value (`request`, RFC 9101 §2.1) at the "
        "authorization and PAR endpoints. Off: `request_not_supported`.",
    )
    requestUriParameterSupported: bool = Field(
        True,
        description="Accept request objects by reference (`request_uri` other than a PAR "
        "one, RFC 9101 §2.2), fetched under the outbound policy. Off: "
        "`request_uri_not_supported` (PAR request_uri values keep working).",
    )
    requestObjectSigningAlgValuesSupported: list[RequestObjectAlg] = Field(
        default_factory=lambda: list(IMPLEMENTED_REQUEST_OBJECT_ALGS),
        description="Algorithms request objects may be signed with (RS256, PS256, ES256).",
    )
    requestObjectNoneAlgAllowed: bool = Field(
        False,
        description="Accept unsigned request objects (`alg: none`) from clients registered "
        "with `request_object_signing_alg: none`, unless a signed request object is "
        "required. Off by default: an unsigned object proves nothing about its sender.",
    )
    requireSignedRequestObject: bool = Field(
        False,
        description="Every authorization request must come as a signed request object, by "
        "value, by reference, or pushed to PAR inside one (RFC 9101 §10.5).",
    )
    requestObjectLifetimeMax: Annotated[int, Field(ge=1, le=86400)] = Field(
        3600,
        description="Longest lifetime accepted for a request object, in seconds: from `nbf` "
        "(or now) to `exp`.",
    )
    requestUriMaxBytes: Annotated[int, Field(ge=256, le=1024 * 1024)] = Field(
        64 * 1024, description="Largest request object fetched from a `request_uri`, in bytes."
    )
    claimsParameterSupported: bool = Field(
        True,
        description="Accept the `claims` parameter (OIDC Core §5.5). Off: it is ignored, "
        "except that malformed JSON is still refused.",
    )
    introspectionSigningAlgValuesSupported: list[IntrospectionAlg] = Field(
        default_factory=lambda: list(IMPLEMENTED_INTROSPECTION_ALGS),
        description="Algorithms of JWT introspection responses (RFC 9701); a client's "
        "`introspection_signed_response_alg` must be one. Empty: no JWT responses.",
    )
    authorizationSigningAlgValuesSupported: list[AuthorizationResponseAlg] = Field(
        default_factory=lambda: list(IMPLEMENTED_AUTHORIZATION_RESPONSE_ALGS),
        description="Algorithms of signed authorization responses (JARM, "
        "`response_mode=jwt` and the other `.jwt` modes); a client's "
        "`authorization_signed_response_alg` must be one (RS256 when it registered none).",
    )
    userInfoSigningAlgValuesSupported: list[SigningAlg] = Field(
        default_factory=lambda: list(IMPLEMENTED_USERINFO_ALGS),
        description="Algorithms of signed UserInfo responses (OIDC Core §5.3.2); a client's "
        "`userinfo_signed_response_alg` must be one. Clients that registered none get JSON.",
    )
