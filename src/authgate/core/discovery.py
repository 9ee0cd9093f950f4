"""The discovery document (OIDC Discovery 1.0 §3, RFC 8414 §2), from what actually works.

Every list is the intersection of what the server implements and what the configuration
allows, so the document never advertises a capability that fails (RFC 9700 §2.6, S25).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from authgate.appconfig import DEVICE_CODE_GRANT, IMPLEMENTED_GRANT_TYPES, AppConfiguration
from authgate.core import profile
from authgate.core.authorize import jarm, response_types
from authgate.core.endpoints import EndpointUrls
from authgate.core.mfa import acr
from authgate.core.registration.policy import registration_open
from authgate.core.tokens import encryption
from authgate.core.tokens.userinfo import STANDARD_CLAIMS
from authgate.core.types import Scope


def _keep(implemented: tuple[str, ...], allowed: list[str]) -> list[str]:
    return [v for v in implemented if v in allowed]


def grant_types(config: AppConfiguration) -> list[str]:
    """Implemented grant types that are enabled (``implicit`` also needs
    ``implicitFlowEnabled``; the OAuth 2.1 profile removes it and ``password``)."""
    implicit = response_types.implicit_enabled(config)
    return [
        g
        for g in _keep(IMPLEMENTED_GRANT_TYPES, config.grantTypesSupported)
        if (implicit or g != response_types.IMPLICIT_GRANT)
        and profile.grant_type_allowed(g, config)
    ]


def request_objects(config: AppConfiguration) -> dict[str, Any]:
    """Request object members (RFC 9101 §10.1, OIDC Discovery §3), when either way of
    sending one is on."""
    if not (config.requestParameterSupported or config.requestUriParameterSupported):
        return {}
    algs: list[str] = list(config.requestObjectSigningAlgValuesSupported)
    if config.requestObjectNoneAlgAllowed and not config.requireSignedRequestObject:
        algs.append("none")
    out: dict[str, Any] = {
        "request_object_signing_alg_values_supported": algs,
        "require_signed_request_object": config.requireSignedRequestObject,
    }
    if config.requestUriParameterSupported:
        out["require_request_uri_registration"] = False
    return out


def document(
    issuer: str,
    config: AppConfiguration,
    scopes: list[Scope],
    signing_algs: Collection[str] = ("RS256",),
) -> dict[str, Any]:
    """The provider metadata served at the three well-known paths.

    ``signing_algs`` are the algorithms the key ring has an active key for: an algorithm is
    advertised only when it is both configured and signable.
    """
    urls = EndpointUrls(issuer)
    claims = {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"}
    for scope in scopes:
        claims.update(scope.claims or STANDARD_CLAIMS.get(scope.scope_id, ()))
    doc: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": urls.authorization_endpoint,
        "token_endpoint": urls.token_endpoint,
        "userinfo_endpoint": urls.userinfo_endpoint,
        "jwks_uri": urls.jwks_uri,
        "response_types_supported": response_types.supported(config),
        "response_modes_supported": response_types.supported_modes(config),
        "grant_types_supported": grant_types(config),
        "subject_types_supported": list(config.subjectTypesSupported),
        "id_token_signing_alg_values_supported": [
            a for a in config.idTokenSigningAlgValuesSupported if a in signing_algs
        ],
        "access_token_signing_alg_values_supported": [
            a for a in config.accessTokenSigningAlgValuesSupported if a in signing_algs
        ],
        "token_endpoint_auth_methods_supported": list(config.tokenEndpointAuthMethodsSupported),
        "code_challenge_methods_supported": profile.pkce_methods(config),
        "pushed_authorization_request_endpoint": urls.par_endpoint,
        "require_pushed_authorization_requests": config.requirePar,
        "dpop_signing_alg_values_supported": list(config.dpopSigningAlgValuesSupported),
        "revocation_endpoint": urls.revocation_endpoint,
        "revocation_endpoint_auth_methods_supported": list(
            config.tokenEndpointAuthMethodsSupported
        ),
        "introspection_endpoint": urls.introspection_endpoint,
        "introspection_endpoint_auth_methods_supported": [
            m for m in config.tokenEndpointAuthMethodsSupported if m != "none"
        ],
        "scopes_supported": sorted(s.scope_id for s in scopes),
        "claims_supported": sorted(claims),
        "prompt_values_supported": ["none", "login", "consent", "select_account"]
        + (["create"] if config.selfServiceSignUpEnabled else []),
        "acr_values_supported": acr.supported(),
        # the pages' languages (OIDC Discovery §3): ui_locales picks among them
        "ui_locales_supported": list(config.uiLocalesSupported),
        "claims_parameter_supported": config.claimsParameterSupported,
        "request_parameter_supported": config.requestParameterSupported,
        "request_uri_parameter_supported": config.requestUriParameterSupported,
        "authorization_response_iss_parameter_supported": (
            profile.iss_in_authorization_responses(config)
        ),
        "jansOpenIdConnectVersion": config.jansOpenIdConnectVersion,
    }
    doc |= {
        "end_session_endpoint": urls.end_session_endpoint,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
    }
    if "private_key_jwt" in config.tokenEndpointAuthMethodsSupported:
        algs = list(config.tokenEndpointAuthSigningAlgValuesSupported)
        doc["token_endpoint_auth_signing_alg_values_supported"] = algs
        doc["revocation_endpoint_auth_signing_alg_values_supported"] = algs
        doc["introspection_endpoint_auth_signing_alg_values_supported"] = algs
    if DEVICE_CODE_GRANT in doc["grant_types_supported"]:
        doc["device_authorization_endpoint"] = urls.device_authorization_endpoint
    doc |= request_objects(config)
    introspection_algs = [
        a for a in config.introspectionSigningAlgValuesSupported if a in signing_algs
    ]
    if introspection_algs:
        doc["introspection_signing_alg_values_supported"] = introspection_algs
    if config.authorizationDetailsTypesSupported:  # RFC 9396 §10
        doc["authorization_details_types_supported"] = list(
            config.authorizationDetailsTypesSupported
        )
    userinfo_algs = jarm.supported_algs(config.userInfoSigningAlgValuesSupported, signing_algs)
    if userinfo_algs:
        doc["userinfo_signing_alg_values_supported"] = userinfo_algs
    if any(jarm.is_jwt(m) for m in doc["response_modes_supported"]):
        doc["authorization_signing_alg_values_supported"] = jarm.supported_algs(
            config.authorizationSigningAlgValuesSupported, signing_algs
        )
    doc |= _encryption(config, doc)
    if registration_open(config):
        doc["registration_endpoint"] = urls.registration_endpoint
    return doc


def _encryption(config: AppConfiguration, doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """The algorithms of each encrypted response a client may ask for (OIDC Discovery §3,
    JARM §4, RFC 9701 §7): JARM's only with a JWT response mode, introspection's only with
    JWT introspection responses."""
    offered = {
        "id_token": True,
        "userinfo": True,
        "authorization": bool(doc.get("authorization_signing_alg_values_supported")),
        "introspection": bool(doc.get("introspection_signing_alg_values_supported")),
    }
    members: dict[str, list[str]] = {}
    for response in encryption.RESPONSES:
        algs, encs = encryption.supported(config, response)
        if offered[response] and algs and encs:
            members[f"{response}_encryption_alg_values_supported"] = algs
            members[f"{response}_encryption_enc_values_supported"] = encs
    return members
