"""Registration rules for a client's keys and its logout URIs (RFC 7591 §2, RFC 7523,
OIDC Back-Channel Logout 1.0 §2.2, OIDC Front-Channel Logout 1.0 §2, OIDC RP-Initiated
Logout 1.0 §3.1).

``jwks`` and ``jwks_uri`` are mutually exclusive (RFC 7591 §2); a private_key_jwt client
needs one of them; inline keys must be public asymmetric signing keys. The URIs the server
itself calls (``jwks_uri``, ``backchannel_logout_uri``) must be https, or http on a loopback
host for development, and carry no fragment or user information. ``post_logout_redirect_uris``
follow the rules of redirect URIs for the client's application type. The
``frontchannel_logout_uri``, which the user's browser loads in an iframe, follows the rules of
the URIs the server calls and must have the scheme, host and port of one of the client's
redirect URIs (Front-Channel Logout §2).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import redirect_uris
from authgate.core.authorize.redirect_uris import LOOPBACK_HOSTS
from authgate.core.origins import origin_of
from authgate.core.types import ApplicationType
from authgate.crypto import client_keys
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri

PRIVATE_KEY_JWT = "private_key_jwt"
#: Methods that authenticate with a client secret, so the client is issued one.
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})


def check_server_called_uri(member: str, uri: str) -> str:
    """A URI the server will send requests to: https, or http on a loopback host.

    Raises:
        InvalidClientMetadata: naming ``member``.
    """
    try:
        parts = urlsplit(uri)
        _ = parts.port
    except ValueError:
        raise InvalidClientMetadata(f"Parameter {member} is not valid: cannot parse it") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidClientMetadata(f"Parameter {member} is not valid: it must be an https URL")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidClientMetadata(
            f"Parameter {member} is not valid: http is allowed only on a loopback host"
        )
    if parts.fragment or "#" in uri or parts.username is not None or parts.password is not None:
        raise InvalidClientMetadata(
            f"Parameter {member} is not valid: no fragment or user information allowed"
        )
    return uri


def check_signing_algs(
    id_token_alg: str | None,
    access_token_alg: str | None,
    config: AppConfiguration,
    signing_algs: Collection[str],
) -> tuple[str, str]:
    """The id_token's and the JWT access token's algorithms, the server's default where
    ``None``; each must be configured and have an active key (OIDC Registration §2).

    Raises:
        InvalidClientMetadata: naming the offending member.
    """
    chosen = []
    for member, alg, configured in (
        ("id_token_signed_response_alg", id_token_alg, config.idTokenSigningAlgValuesSupported),
        ("access_token_signing_alg", access_token_alg, config.accessTokenSigningAlgValuesSupported),
    ):
        supported = [a for a in configured if a in signing_algs]
        value = alg or config.defaultSignatureAlgorithm
        if value not in supported:
            raise InvalidClientMetadata(
                f"Parameter {member} is not valid: '{value}' is not one of {supported}"
            )
        chosen.append(value)
    return chosen[0], chosen[1]


def check_keys(
    methods: Sequence[str],
    jwks: Mapping[str, Any] | None,
    jwks_uri: str | None,
    signing_alg: str | None,
    config: AppConfiguration,
) -> None:
    """Validate key metadata against the client's authentication methods.

    Raises:
        InvalidClientMetadata: naming the offending member.
    """
    if jwks is not None and jwks_uri is not None:
        raise InvalidClientMetadata(
            "Parameter jwks is not valid: jwks and jwks_uri must not both be sent (RFC 7591 §2)"
        )
    if jwks is not None:
        try:
            if PRIVATE_KEY_JWT in methods:  # its assertions are verified with a signing key
                client_keys.import_public_jwks(jwks)
            else:  # a set of encryption keys only is fine
                client_keys.check_jwks(jwks)
        except client_keys.UnusableKeys as exc:
            raise InvalidClientMetadata(f"Parameter jwks is not valid: {exc}") from None
    if jwks_uri is not None:
        check_server_called_uri("jwks_uri", jwks_uri)
    if PRIVATE_KEY_JWT in methods and jwks is None and jwks_uri is None:
        raise InvalidClientMetadata(
            "Parameter jwks is not valid: private_key_jwt needs jwks or jwks_uri"
        )
    if (
        signing_alg is not None
        and signing_alg not in config.tokenEndpointAuthSigningAlgValuesSupported
    ):
        raise InvalidClientMetadata(
            f"Parameter token_endpoint_auth_signing_alg is not valid: '{signing_alg}' is not one "
            f"of {config.tokenEndpointAuthSigningAlgValuesSupported}"
        )


def check_frontchannel_logout_uri(uri: str | None, redirects: Sequence[str]) -> None:
    """Validate ``frontchannel_logout_uri`` against the client's redirect URIs.

    Raises:
        InvalidClientMetadata: naming the member.
    """
    if uri is None:
        return
    member = "frontchannel_logout_uri"
    check_server_called_uri(member, uri)
    if origin_of(uri) not in {origin_of(r) for r in redirects}:
        raise InvalidClientMetadata(
            f"Parameter {member} is not valid: its scheme, host and port must be those of a "
            "registered redirect URI"
        )


def check_logout_uris(
    backchannel: Sequence[str],
    post_logout: Sequence[str],
    application_type: ApplicationType,
    config: AppConfiguration,
    *,
    frontchannel: str | None = None,
    redirects: Sequence[str] = (),
) -> None:
    """Validate ``backchannel_logout_uri``, ``frontchannel_logout_uri`` (against the
    client's ``redirects``) and ``post_logout_redirect_uris``.

    Raises:
        InvalidClientMetadata: naming the offending member.
    """
    for uri in backchannel:
        check_server_called_uri("backchannel_logout_uri", uri)
    check_frontchannel_logout_uri(frontchannel, redirects)
    for uri in post_logout:
        try:
            redirect_uris.validate_registered(
                uri, application_type, config.clientWhiteList, config.clientBlackList
            )
        except InvalidRedirectUri as exc:
            raise InvalidClientMetadata(
                f"Parameter post_logout_redirect_uris is not valid: {exc.description}"
            ) from None
