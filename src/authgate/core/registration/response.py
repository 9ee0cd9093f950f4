"""The client information response (RFC 7591 §3.2.1, RFC 7592 §3) in the flow document's shape.

Member order and Janssen's extra members follow the flow document
(docs/janssen-compatibility.md §3.6). Secrets and the registration access token are known in
plaintext only when just issued (or presented by the caller): authgate stores hashes, so a
response includes them only then.
"""

from __future__ import annotations

from typing import Any

from authgate.core.endpoints import EndpointUrls
from authgate.core.registration.request_objects import ENCRYPTED_RESPONSE_MEMBERS
from authgate.core.types import Client


def client_response(
    client: Client,
    issuer: str,
    *,
    client_secret: str | None = None,
    registration_access_token: str | None = None,
) -> dict[str, Any]:
    """The registration response body (RFC 7591 §3.2.1) in the flow document's shape."""
    m = client.metadata
    urls = EndpointUrls(issuer)
    body: dict[str, Any] = {
        "allow_spontaneous_scopes": m.allow_spontaneous_scopes,
        "application_type": m.application_type,
        "rpt_as_jwt": m.rpt_as_jwt,
        "registration_client_uri": f"{urls.registration_endpoint}?client_id={client.client_id}",
        "tls_client_auth_subject_dn": m.tls_client_auth_subject_dn,
        "run_introspection_script_before_jwt_creation": (
            m.run_introspection_script_before_jwt_creation
        ),
    }
    if registration_access_token is not None:
        body["registration_access_token"] = registration_access_token
    body |= {
        "client_id": client.client_id,
        "token_endpoint_auth_method": m.token_endpoint_auth_method,
        "scope": " ".join(m.scope),
    }
    if client_secret is not None:
        body["client_secret"] = client_secret
    body |= {
        "client_id_issued_at": client.client_id_issued_at,
        "backchannel_logout_uri": list(m.backchannel_logout_uri),
        "backchannel_logout_session_required": m.backchannel_logout_session_required,
        "client_name": m.client_name,
        "par_lifetime": m.par_lifetime,
        "spontaneous_scopes": list(m.spontaneous_scopes),
        "id_token_signed_response_alg": m.id_token_signed_response_alg,
        "access_token_as_jwt": m.access_token_as_jwt,
        "grant_types": list(m.grant_types),
        "subject_type": m.subject_type,
        "additional_token_endpoint_auth_methods": list(m.additional_token_endpoint_auth_methods),
        "keep_client_authorization_after_expiration": m.keep_client_authorization_after_expiration,
        "require_par": m.require_par,
        "require_pkce": m.require_pkce,
        "redirect_uris": list(m.redirect_uris),
        "redirect_uris_regex": m.redirect_uris_regex,
        "additional_audience": list(m.additional_audience),
        "frontchannel_logout_session_required": m.frontchannel_logout_session_required,
    }
    if client.secret_hash is not None:
        body["client_secret_expires_at"] = client.client_secret_expires_at
    body |= {
        "access_token_signing_alg": m.access_token_signing_alg,
        "response_types": list(m.response_types),
    }
    optional: dict[str, Any] = {
        "contacts": list(m.contacts) or None,
        "logo_uri": m.logo_uri,
        "client_uri": m.client_uri,
        "policy_uri": m.policy_uri,
        "tos_uri": m.tos_uri,
        "software_id": m.software_id,
        "software_version": m.software_version,
        "software_statement": m.software_statement,
        "frontchannel_logout_uri": m.frontchannel_logout_uri,
        "post_logout_redirect_uris": list(m.post_logout_redirect_uris) or None,
        "sector_identifier_uri": m.sector_identifier_uri,
        "default_max_age": m.default_max_age,
        "default_acr_values": list(m.default_acr_values) or None,
        "lifetime": m.lifetime,
        "access_token_lifetime": m.access_token_lifetime,
        "authorized_origins": list(m.authorized_origins) or None,
        "dpop_bound_access_tokens": m.dpop_bound_access_tokens or None,
        "allowed_resources": list(m.allowed_resources) or None,
        "token_exchange_audiences": list(m.token_exchange_audiences) or None,
        "jwks": dict(m.jwks) if m.jwks is not None else None,
        "jwks_uri": m.jwks_uri,
        "token_endpoint_auth_signing_alg": m.token_endpoint_auth_signing_alg,
        "request_object_signing_alg": m.request_object_signing_alg,
        "require_signed_request_object": m.require_signed_request_object or None,
        "introspection_signed_response_alg": m.introspection_signed_response_alg,
        "authorization_signed_response_alg": m.authorization_signed_response_alg,
        "userinfo_signed_response_alg": m.userinfo_signed_response_alg,
        **{member: getattr(m, member) for member in ENCRYPTED_RESPONSE_MEMBERS},
        "authorization_details_types": list(m.authorization_details_types) or None,
    }
    body |= {k: v for k, v in optional.items() if v is not None}
    body |= dict(m.custom_attributes)
    return body
