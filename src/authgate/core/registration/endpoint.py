"""Dynamic client registration (RFC 7591 §3) with Janssen's defaults and response shape.

Janssen behaviours kept: ``scope`` as array or string, grant/response type autofix, pairwise
subjects by default. Deliberate differences: a grant type, response type or scope the server
will not give is refused naming it, never dropped silently (:mod:`.client_types`); a
``client_secret`` only for clients that authenticate with one (not ``none`` or
``private_key_jwt``), ``client_secret_expires_at`` only when a secret is issued (RFC 7591
§3.2.1), and no ``client_secret_jwt`` (secrets are stored hashed).

Before any of that, the registration policy decides who may register (:mod:`.policy`: open,
initial access token, closed); a software statement's claims take precedence over the
request's members (:mod:`.software_statement`); and the client's URIs must be on the trusted
hosts, when the administrator listed some (:mod:`.trusted_hosts`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from authgate.appconfig import AppConfiguration
from authgate.appconfig_resources import TOKEN_EXCHANGE, check_audiences, check_resources
from authgate.core import security_events
from authgate.core.authorize import redirect_uris
from authgate.core.origins import validate_authorized_origins
from authgate.core.ports import Services
from authgate.core.registration import checks as registration_checks
from authgate.core.registration import (
    policy,
    request_objects,
    sector,
    software_statement,
    trusted_hosts,
)
from authgate.core.registration.client_types import resolve_scopes, resolve_types
from authgate.core.registration.request import RegistrationRequest, parse_registration_request
from authgate.core.registration.response import client_response
from authgate.core.security_events import EventKind
from authgate.core.types import (
    ATTRIBUTE_NAME_MAX,
    ATTRIBUTE_VALUE_MAX,
    Client,
    ClientMetadata,
    Scope,
    always_authenticates,
)
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri

_NEEDS_REDIRECT = frozenset({"authorization_code", "implicit"})


@dataclass(frozen=True, slots=True)
class Registration:
    """A stored client and the one-time plaintext credentials to return to the registrant."""

    client: Client
    client_secret: str | None
    registration_access_token: str


def _validate_redirects(
    req: RegistrationRequest,
    grants: tuple[str, ...],
    responses: tuple[str, ...],
    config: AppConfiguration,
    subject_type: str,
) -> tuple[str, ...]:
    uris = list(dict.fromkeys(req.redirect_uris))
    if not uris and (set(grants) & _NEEDS_REDIRECT or responses):
        raise InvalidRedirectUri(
            "redirect_uris is required for the authorization_code and implicit grants"
        )
    for uri in uris:
        redirect_uris.validate_registered(
            uri, req.application_type, config.clientWhiteList, config.clientBlackList
        )
    if req.redirect_uris_regex:
        raise InvalidClientMetadata(
            "redirect_uris_regex is not supported: redirect URIs are matched exactly "
            "(RFC 9700 §4.1.3)"
        )
    hosts = {redirect_uris.redirect_host(u) for u in uris}
    if subject_type == "pairwise" and len(hosts) > 1 and not req.sector_identifier_uri:
        raise InvalidRedirectUri(
            "pairwise subject_type with redirect URIs on several hosts needs a "
            "sector_identifier_uri (OIDC Core §8.1)"
        )
    return tuple(uris)


def build_metadata(
    req: RegistrationRequest,
    config: AppConfiguration,
    scopes: list[Scope],
    signing_algs: Collection[str] = ("RS256",),
) -> ClientMetadata:
    """Validate the request against server policy and produce the client's metadata.

    Raises:
        InvalidClientMetadata, InvalidRedirectUri: naming the offending member (and value).
    """
    method = req.token_endpoint_auth_method or "client_secret_basic"
    if "client_secret_jwt" in (method, *req.additional_token_endpoint_auth_methods):
        raise InvalidClientMetadata(
            "Parameter token_endpoint_auth_method is not valid: client_secret_jwt is not "
            "supported (it needs the plaintext client secret, and authgate stores secrets only "
            "as hashes); use private_key_jwt"
        )
    if method not in config.tokenEndpointAuthMethodsSupported:
        raise InvalidClientMetadata(
            f"Parameter token_endpoint_auth_method is not valid: '{method}' is not one of "
            f"{config.tokenEndpointAuthMethodsSupported}"
        )
    for extra in req.additional_token_endpoint_auth_methods:
        if extra not in config.tokenEndpointAuthMethodsSupported:
            raise InvalidClientMetadata(
                f"Parameter additional_token_endpoint_auth_methods is not valid: '{extra}'"
            )
    subject_type = req.subject_type or config.defaultSubjectType
    if subject_type not in config.subjectTypesSupported:
        raise InvalidClientMetadata(
            f"Parameter subject_type is not valid: '{subject_type}' is not one of "
            f"{config.subjectTypesSupported}"
        )
    confidential = always_authenticates((method, *req.additional_token_endpoint_auth_methods))
    grants, responses = resolve_types(
        req.grant_types, req.response_types, config, confidential=confidential
    )
    uris = _validate_redirects(req, grants, responses, config, subject_type)
    id_alg, at_alg = registration_checks.check_signing_algs(
        req.id_token_signed_response_alg, req.access_token_signing_alg, config, signing_algs
    )
    registration_checks.check_keys(
        (method, *req.additional_token_endpoint_auth_methods),
        req.jwks,
        req.jwks_uri,
        req.token_endpoint_auth_signing_alg,
        config,
    )
    request_objects.check_request_object_alg(
        req.request_object_signing_alg,
        req.require_signed_request_object,
        req.jwks,
        req.jwks_uri,
        config,
    )
    request_objects.check_signed_response_algs(
        {
            "introspection_signed_response_alg": req.introspection_signed_response_alg,
            "authorization_signed_response_alg": req.authorization_signed_response_alg,
            "userinfo_signed_response_alg": req.userinfo_signed_response_alg,
        },
        config,
        signing_algs,
    )
    encrypted = request_objects.check_encryption(
        req.model_dump(include=set(request_objects.ENCRYPTED_RESPONSE_MEMBERS))
        | req.extra_members(),
        req.jwks,
        req.jwks_uri,
        config,
    )
    backchannel = req.backchannel_logout_uris()
    registration_checks.check_logout_uris(
        backchannel,
        req.post_logout_redirect_uris,
        req.application_type,
        config,
        frontchannel=req.frontchannel_logout_uri,
        redirects=uris,
    )
    custom = {
        name: str(value)
        for name, value in req.extra_members().items()
        if name in config.dynamicRegistrationCustomAttributes and isinstance(value, str | int)
    }
    for name, value in custom.items():
        if len(name) > ATTRIBUTE_NAME_MAX:
            raise InvalidClientMetadata(
                f"Custom attribute names are limited to {ATTRIBUTE_NAME_MAX} characters"
            )
        if len(value) > ATTRIBUTE_VALUE_MAX:
            raise InvalidClientMetadata(
                f"Parameter {name} is not valid: at most {ATTRIBUTE_VALUE_MAX} characters"
            )
    lifetime = (
        req.lifetime
        if req.lifetime is not None and not config.dcrForbidExpirationTimeInRequest
        else None
    )
    name = req.client_name or (redirect_uris.redirect_host(uris[0]) if uris else "")
    return ClientMetadata(
        redirect_uris=uris,
        response_types=responses,
        grant_types=grants,
        application_type=req.application_type,
        client_name=name,
        token_endpoint_auth_method=method,
        scope=resolve_scopes(req.scopes(), scopes, config),
        subject_type=subject_type,
        sector_identifier_uri=req.sector_identifier_uri or None,
        id_token_signed_response_alg=id_alg,
        access_token_signing_alg=at_alg,
        require_pkce=req.require_pkce,
        rpt_as_jwt=req.rpt_as_jwt,
        access_token_as_jwt=req.access_token_as_jwt,
        par_lifetime=req.par_lifetime,
        require_par=req.require_par,
        allow_spontaneous_scopes=req.allow_spontaneous_scopes,
        spontaneous_scopes=tuple(req.spontaneous_scopes),
        additional_audience=tuple(req.additional_audience),
        tls_client_auth_subject_dn=req.tls_client_auth_subject_dn,
        run_introspection_script_before_jwt_creation=req.run_introspection_script_before_jwt_creation,
        keep_client_authorization_after_expiration=req.keep_client_authorization_after_expiration,
        backchannel_logout_uri=tuple(backchannel),
        backchannel_logout_session_required=req.backchannel_logout_session_required,
        frontchannel_logout_uri=req.frontchannel_logout_uri,
        frontchannel_logout_session_required=req.frontchannel_logout_session_required,
        post_logout_redirect_uris=tuple(req.post_logout_redirect_uris),
        additional_token_endpoint_auth_methods=tuple(req.additional_token_endpoint_auth_methods),
        contacts=tuple(req.contacts),
        logo_uri=req.logo_uri,
        client_uri=req.client_uri,
        policy_uri=req.policy_uri,
        tos_uri=req.tos_uri,
        software_id=req.software_id,
        software_version=req.software_version,
        software_statement=req.software_statement,
        default_max_age=req.default_max_age,
        require_auth_time=req.require_auth_time,
        default_acr_values=tuple(req.default_acr_values),
        lifetime=lifetime,
        access_token_lifetime=req.access_token_lifetime,
        jwks=req.jwks,
        jwks_uri=req.jwks_uri,
        token_endpoint_auth_signing_alg=req.token_endpoint_auth_signing_alg,
        custom_attributes=custom,
        authorized_origins=validate_authorized_origins(req.authorized_origins),
        dpop_bound_access_tokens=req.dpop_bound_access_tokens,
        allowed_resources=_allowed_resources(req, config),
        token_exchange_audiences=_exchange_audiences(req, grants),
        request_object_signing_alg=req.request_object_signing_alg,
        require_signed_request_object=req.require_signed_request_object,
        introspection_signed_response_alg=req.introspection_signed_response_alg,
        authorization_signed_response_alg=req.authorization_signed_response_alg,
        userinfo_signed_response_alg=req.userinfo_signed_response_alg,
        **encrypted,
        authorization_details_types=request_objects.check_detail_types(
            req.authorization_details_types, config.authorizationDetailsTypesSupported
        ),
    )


def _allowed_resources(req: RegistrationRequest, config: AppConfiguration) -> tuple[str, ...]:
    """A registrant may narrow the server's ``defaultResourceIndicators``, never add to them
    (an administrator may: docs/resources.md)."""
    try:
        values = check_resources(req.allowed_resources)
    except ValueError as exc:
        raise InvalidClientMetadata(f"Parameter allowed_resources is not valid: {exc}") from None
    beyond = [v for v in values if v not in config.defaultResourceIndicators]
    if beyond:
        raise InvalidClientMetadata(
            "Parameter allowed_resources is not valid: dynamic registration may only name "
            "resources of the server's defaultResourceIndicators"
        )
    return tuple(values)


def _exchange_audiences(req: RegistrationRequest, grants: Collection[str]) -> tuple[str, ...]:
    try:
        values = check_audiences(req.token_exchange_audiences)
    except ValueError as exc:
        raise InvalidClientMetadata(
            f"Parameter token_exchange_audiences is not valid: {exc}"
        ) from None
    if values and TOKEN_EXCHANGE not in grants:
        raise InvalidClientMetadata(
            f"Parameter token_exchange_audiences is not valid: it needs the {TOKEN_EXCHANGE} "
            "grant type"
        )
    return tuple(values)


def needs_secret(metadata: ClientMetadata) -> bool:
    """Whether the client authenticates with a secret (none and private_key_jwt do not)."""
    methods = {
        metadata.token_endpoint_auth_method,
        *metadata.additional_token_endpoint_auth_methods,
    }
    return bool(methods & registration_checks.SECRET_METHODS)


async def register(
    body: Any,
    svc: Services,
    *,
    initial_access_token: str | None = None,
    source: str | None = None,
) -> Registration:
    """Handle ``POST /register`` (RFC 7591 §3.1): validate, store, return credentials once.

    Nothing is stored, and no use of an initial access token is counted, unless every check
    passes. A stored client is recorded as a ``client_registered`` security event from
    ``source``.

    Args:
        initial_access_token: The request's bearer token, if it sent one (RFC 7591 §3).
        source: The request's source address, for the security event.

    Raises:
        AccessDenied: registration is closed.
        InvalidToken: the policy wants an initial access token and none usable was sent.
        InvalidSoftwareStatement, UnapprovedSoftwareStatement: see :mod:`.software_statement`.
        InvalidClientMetadata, InvalidRedirectUri: the metadata is not acceptable.
    """
    config = svc.config.current
    admission = await policy.admit(initial_access_token, svc)
    body = software_statement.apply(body, config, svc.clock.now())
    request = parse_registration_request(body)
    metadata = build_metadata(request, config, await svc.scopes.all(), svc.keys.algorithms)
    trusted_hosts.check(metadata, config)
    await sector.verify(metadata, svc)
    now = int(svc.clock.now())
    lifetime = (
        metadata.lifetime
        if metadata.lifetime is not None
        else config.dynamicRegistrationExpirationTime
    )
    expires_at = now + lifetime if lifetime > 0 else None
    secret = new_handle() if needs_secret(metadata) else None
    registration_token = new_handle()
    client = Client(
        client_id=str(uuid.uuid4()),
        metadata=metadata,
        client_id_issued_at=now,
        secret_hash=handle_hash(secret) if secret else None,
        client_secret_expires_at=(expires_at or 0) if secret else 0,
        registration_token_hash=handle_hash(registration_token),
        expires_at=expires_at,
    )
    await policy.spend(admission, svc)
    await svc.clients.add(client)
    security_events.record(
        svc,
        EventKind.CLIENT_REGISTERED,
        source=source,
        client_id=client.client_id,
        detail="dynamic registration (RFC 7591)",
    )
    return Registration(client, secret, registration_token)


__all__ = ["Registration", "build_metadata", "client_response", "register", "resolve_types"]
