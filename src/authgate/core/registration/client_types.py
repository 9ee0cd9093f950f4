"""Which grant types, response types and scopes a registered client gets (RFC 7591 §2).

A requested value is either given or refused with ``invalid_client_metadata`` naming it,
never dropped or swapped for another one:

* a grant type must be one authgate implements, enabled on the server (discovery's
  ``grant_types_supported``: ``grantTypesSupported``, ``implicitFlowEnabled``, the OAuth 2.1
  profile) and listed in ``grantTypesSupportedByDynamicRegistration``; ``client_credentials``
  also needs a confidential client, one that always authenticates (RFC 6749 §4.4);
* a response type must be one the authorization endpoint serves now (discovery's
  ``response_types_supported``);
* a scope must exist and be open to registration (``registrable``).

Omitted members get RFC 7591's defaults: the ``authorization_code`` grant, and the ``code``
response type for a client with that grant (none for, say, a ``client_credentials`` client).
With ``grantTypesAndResponseTypesAutofixEnabled`` the grant and response types are then
completed from each other (``code`` brings ``authorization_code`` and, with
``clientRegDefaultToCodeFlowWithRefresh``, ``refresh_token``; ``token``/``id_token`` bring
``implicit``, which brings ``token``); what this adds is kept only where the server allows it,
since the client did not ask for it.
"""

from __future__ import annotations

from collections.abc import Collection

from authgate.appconfig import IMPLEMENTED_GRANT_TYPES, AppConfiguration
from authgate.appconfig_resources import TOKEN_EXCHANGE
from authgate.core.authorize.response_types import (
    CODE,
    CODE_GRANT,
    IMPLICIT_GRANT,
    canonical,
    parse,
    supported,
)
from authgate.core.discovery import grant_types as enabled_grant_types
from authgate.core.types import Scope
from authgate.errors import InvalidClientMetadata

CLIENT_CREDENTIALS = "client_credentials"
#: Grants only a confidential client may have (RFC 6749 §4.4; token exchange: docs/resources.md).
CONFIDENTIAL_ONLY = frozenset({CLIENT_CREDENTIALS, TOKEN_EXCHANGE})
_GRANT_ORDER = (
    "implicit",
    "refresh_token",
    "authorization_code",
    "client_credentials",
    TOKEN_EXCHANGE,
)
_RESPONSE_ORDER = ("code", "token", "id_token")


def registrable_grant_types(config: AppConfiguration, *, confidential: bool) -> list[str]:
    """The grant types a dynamically registered client may have, in discovery's order."""
    return [
        g
        for g in enabled_grant_types(config)
        if g in config.grantTypesSupportedByDynamicRegistration
        and (confidential or g not in CONFIDENTIAL_ONLY)
    ]


def _check_grant(grant: str, config: AppConfiguration, confidential: bool) -> None:
    prefix = f"Parameter grant_types is not valid: '{grant}'"
    if grant not in IMPLEMENTED_GRANT_TYPES:
        raise InvalidClientMetadata(
            f"{prefix} is not a grant type this server implements {list(IMPLEMENTED_GRANT_TYPES)}"
        )
    enabled = enabled_grant_types(config)
    if grant not in enabled:
        raise InvalidClientMetadata(
            f"{prefix} is not enabled on this server (grant_types_supported: {enabled})"
        )
    if grant not in config.grantTypesSupportedByDynamicRegistration:
        raise InvalidClientMetadata(
            f"{prefix} cannot be registered dynamically "
            f"(grantTypesSupportedByDynamicRegistration: "
            f"{config.grantTypesSupportedByDynamicRegistration})"
        )
    if grant in CONFIDENTIAL_ONLY and not confidential:
        why = "RFC 6749 §4.4" if grant == CLIENT_CREDENTIALS else "docs/resources.md"
        raise InvalidClientMetadata(
            f"{prefix} is only for confidential clients ({why}): register a "
            "token_endpoint_auth_method other than none, and none among "
            "additional_token_endpoint_auth_methods"
        )


def _check_response_type(value: str, config: AppConfiguration) -> frozenset[str]:
    parts = parse(value)
    served = supported(config)
    if parts is None or canonical(parts) not in served:
        raise InvalidClientMetadata(
            f"Parameter response_types is not valid: '{value}' is not served by this server "
            f"(response_types_supported: {served})"
        )
    return parts


def resolve_types(
    grant_types: Collection[str],
    response_types: Collection[str],
    config: AppConfiguration,
    *,
    confidential: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The client's grant and response types: the requested ones (each checked), the
    defaults for omitted members, and what the autofix adds where the server allows it.

    Args:
        confidential: Whether the client always authenticates (no ``none`` method).

    Raises:
        InvalidClientMetadata: naming the first requested value the server will not give.
    """
    for grant in grant_types:
        _check_grant(grant, config, confidential)
    requested_grants = set(grant_types)
    requested_responses = {
        p for value in response_types for p in _check_response_type(value, config)
    }
    grants = requested_grants or {CODE_GRANT}
    responses = set(requested_responses) or ({CODE} if CODE_GRANT in grants else set())
    if config.grantTypesAndResponseTypesAutofixEnabled:
        if config.clientRegDefaultToCodeFlowWithRefresh:
            if CODE_GRANT in grants:
                responses.add(CODE)
            if CODE in responses:
                grants.update({CODE_GRANT, "refresh_token"})
        if responses & {"token", "id_token"}:
            grants.add(IMPLICIT_GRANT)
        if IMPLICIT_GRANT in grants:
            responses.add("token")
    allowed_grants = set(registrable_grant_types(config, confidential=confidential))
    grants = {g for g in grants if g in requested_grants or g in allowed_grants}
    served_parts = {p for value in supported(config) for p in value.split()}
    responses = {p for p in responses if p in requested_responses or p in served_parts}
    return (
        tuple(g for g in _GRANT_ORDER if g in grants) + tuple(sorted(grants - set(_GRANT_ORDER))),
        tuple(r for r in _RESPONSE_ORDER if r in responses),
    )


def resolve_scopes(
    requested: list[str] | None, known: list[Scope], config: AppConfiguration
) -> tuple[str, ...]:
    """The client's scopes: the requested ones, or every registrable scope when none are
    asked for or ``dynamicRegistrationScopesParamEnabled`` is off (then the request only
    has to name registrable scopes: the client gets them and more).

    Raises:
        InvalidClientMetadata: naming requested scopes that do not exist or are not open to
            registration (the same answer for both, so registration reveals no scope).
    """
    registrable = {s.scope_id for s in known if s.registrable}
    refused = [s for s in dict.fromkeys(requested or ()) if s not in registrable]
    if refused:
        raise InvalidClientMetadata(
            f"Parameter scope is not valid: {refused} cannot be registered (no such scope, "
            "or not open to dynamic registration)"
        )
    if requested is None or not config.dynamicRegistrationScopesParamEnabled:
        return tuple(sorted(registrable))
    return tuple(sorted(set(requested)))
