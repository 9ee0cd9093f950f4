"""Registration metadata for request objects and signed responses:
``request_object_signing_alg``, ``require_signed_request_object`` (OIDC Registration §2,
RFC 9101 §10.5), ``introspection_signed_response_alg`` (RFC 9701 §6) and
``authorization_signed_response_alg`` (JARM §3)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from authgate.appconfig import AppConfiguration
from authgate.errors import InvalidClientMetadata

NONE_ALG = "none"


def check_request_object_alg(
    alg: str | None,
    require_signed: bool,
    jwks: Mapping[str, Any] | None,
    jwks_uri: str | None,
    config: AppConfiguration,
) -> None:
    """``alg`` is one the server accepts (``none`` only where the configuration allows
    unsigned request objects and no signed one is required); signing needs registered keys.

    Raises:
        InvalidClientMetadata: naming the offending member.
    """
    if alg == NONE_ALG:
        if not config.requestObjectNoneAlgAllowed or require_signed:
            raise InvalidClientMetadata(
                "Parameter request_object_signing_alg is not valid: unsigned request objects "
                "are not accepted"
            )
        return
    if alg is not None and alg not in config.requestObjectSigningAlgValuesSupported:
        raise InvalidClientMetadata(
            f"Parameter request_object_signing_alg is not valid: '{alg}' is not one of "
            f"{config.requestObjectSigningAlgValuesSupported}"
        )
    if (alg is not None or require_signed) and jwks is None and jwks_uri is None:
        member = (
            "request_object_signing_alg" if alg is not None else "require_signed_request_object"
        )
        raise InvalidClientMetadata(
            f"Parameter {member} is not valid: signed request objects need jwks or jwks_uri"
        )


def check_introspection_alg(
    alg: str | None, config: AppConfiguration, signing_algs: Collection[str]
) -> None:
    """``alg`` is configured for introspection responses and has an active key.

    Raises:
        InvalidClientMetadata: naming the member.
    """
    supported = [a for a in config.introspectionSigningAlgValuesSupported if a in signing_algs]
    if alg is not None and alg not in supported:
        raise InvalidClientMetadata(
            f"Parameter introspection_signed_response_alg is not valid: '{alg}' is not one "
            f"of {supported}"
        )


def check_authorization_response_alg(
    alg: str | None,
    encrypted: tuple[str | None, str | None],
    config: AppConfiguration,
    signing_algs: Collection[str],
) -> None:
    """``alg`` is configured for signed authorization responses and has an active key;
    ``encrypted`` (``authorization_encrypted_response_alg`` and ``_enc``) is not asked for:
    authgate signs JARM responses and does not encrypt them, and a client that expects
    encrypted responses must not get plain ones.

    Raises:
        InvalidClientMetadata: naming the member.
    """
    for member, value in zip(
        ("authorization_encrypted_response_alg", "authorization_encrypted_response_enc"),
        encrypted,
        strict=True,
    ):
        if value is not None:
            raise InvalidClientMetadata(
                f"Parameter {member} is not valid: authorization responses are signed "
                "(authorization_signed_response_alg), not encrypted"
            )
    supported = [a for a in config.authorizationSigningAlgValuesSupported if a in signing_algs]
    if alg is not None and alg not in supported:
        raise InvalidClientMetadata(
            f"Parameter authorization_signed_response_alg is not valid: '{alg}' is not one "
            f"of {supported}"
        )
