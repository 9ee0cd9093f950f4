"""Parsing of RFC 7591 registration requests: JSON members to typed values.

Member names are RFC 7591 / OIDC Registration names plus Janssen's extras
(docs/janssen-compatibility.md §3.1). Unknown members are ignored (RFC 7591 §2) unless listed
in ``dynamicRegistrationCustomAttributes``; a known member of the wrong type is an error
naming it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from authgate.core.params import check_json
from authgate.core.types import CLIENT_NAME_MAX
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri

_URI_LIST_FIELDS = frozenset({"redirect_uris"})


class RegistrationRequest(BaseModel):
    """The members of a registration request that authgate understands."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    redirect_uris: list[str] = Field(default_factory=list)
    response_types: list[str] = Field(default_factory=list)
    grant_types: list[str] = Field(default_factory=list)
    application_type: Literal["web", "native"] = "web"
    client_name: str | None = Field(None, max_length=CLIENT_NAME_MAX)
    token_endpoint_auth_method: str | None = None
    scope: list[str] | str | None = None
    subject_type: str | None = None
    sector_identifier_uri: str | None = None
    id_token_signed_response_alg: str | None = None
    access_token_signing_alg: str | None = None
    require_pkce: bool = False
    rpt_as_jwt: bool = False
    access_token_as_jwt: bool = False
    par_lifetime: int = Field(600, ge=1, le=86400)
    require_par: bool = False
    allow_spontaneous_scopes: bool = False
    spontaneous_scopes: list[str] = Field(default_factory=list)
    additional_audience: list[str] = Field(default_factory=list)
    redirect_uris_regex: str = ""
    tls_client_auth_subject_dn: str = ""
    run_introspection_script_before_jwt_creation: bool = False
    keep_client_authorization_after_expiration: bool = False
    backchannel_logout_uri: list[str] | str = Field(default_factory=list)
    backchannel_logout_session_required: bool = False
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool = False
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    additional_token_endpoint_auth_methods: list[str] = Field(default_factory=list)
    contacts: list[str] = Field(default_factory=list)
    logo_uri: str | None = None
    client_uri: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    software_id: str | None = None
    software_version: str | None = None
    software_statement: str | None = None
    default_max_age: int | None = Field(None, ge=0)
    require_auth_time: bool = False
    default_acr_values: list[str] = Field(default_factory=list)
    lifetime: int | None = None
    access_token_lifetime: int | None = Field(None, ge=1)
    authorized_origins: list[str] = Field(default_factory=list)
    dpop_bound_access_tokens: bool = False
    allowed_resources: list[str] = Field(default_factory=list)
    token_exchange_audiences: list[str] = Field(default_factory=list)
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    token_endpoint_auth_signing_alg: str | None = None
    request_object_signing_alg: str | None = None
    require_signed_request_object: bool = False
    introspection_signed_response_alg: str | None = None
    authorization_signed_response_alg: str | None = None
    userinfo_signed_response_alg: str | None = None
    id_token_encrypted_response_alg: str | None = None
    id_token_encrypted_response_enc: str | None = None
    userinfo_encrypted_response_alg: str | None = None
    userinfo_encrypted_response_enc: str | None = None
    authorization_encrypted_response_alg: str | None = None
    authorization_encrypted_response_enc: str | None = None
    introspection_encrypted_response_alg: str | None = None
    introspection_encrypted_response_enc: str | None = None
    authorization_details_types: list[str] = Field(default_factory=list)
    client_id: Any = None
    client_secret: Any = None

    @field_validator("scope")
    @classmethod
    def _scope_items(cls, value: list[str] | str | None) -> list[str] | str | None:
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ValueError("scope must be a string or an array of strings")
        return value

    def scopes(self) -> list[str] | None:
        """Requested scopes as a list, whichever form they came in
        (docs/janssen-compatibility.md §3.1)."""
        if self.scope is None:
            return None
        if isinstance(self.scope, str):
            return [s for s in self.scope.split(" ") if s]
        return [s for s in self.scope if s]

    def backchannel_logout_uris(self) -> list[str]:
        value = self.backchannel_logout_uri
        if isinstance(value, str):
            return [value] if value else []
        return [v for v in value if v]

    def extra_members(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def parse_registration_request(body: Any) -> RegistrationRequest:
    """Parse the decoded JSON body of a registration request.

    Raises:
        InvalidClientMetadata: not a JSON object, a member of the wrong type or range, or
            a control character in any member name or string (at any depth).
        InvalidRedirectUri: ``redirect_uris`` is not an array of strings.
    """
    if not isinstance(body, dict):
        raise InvalidClientMetadata("The registration request body must be a JSON object")
    check_json(body, error=InvalidClientMetadata)
    try:
        return RegistrationRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        member = str(first["loc"][0]) if first["loc"] else "body"
        message = f"Parameter {member} is not valid: {first['msg']}"
        if member in _URI_LIST_FIELDS:
            raise InvalidRedirectUri(message) from None
        raise InvalidClientMetadata(message) from None
