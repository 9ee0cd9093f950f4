"""Registration metadata for request objects and signed responses:
``request_object_signing_alg``, ``require_signed_request_object`` (OIDC Registration §2,
RFC 9101 §10.5), ``introspection_signed_response_alg`` (RFC 9701 §6),
``authorization_signed_response_alg`` (JARM §3) and ``userinfo_signed_response_alg`` (OIDC
Registration §2); encryption members are refused."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
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


#: Members that ask for encrypted responses or request objects (OIDC Registration §2, JARM §3,
#: RFC 9701 §6). authgate signs and never encrypts: a client that registers one of them
#: expects what it cannot get, so registration refuses it instead of ignoring it.
ENCRYPTION_MEMBERS = tuple(
    f"{prefix}_{suffix}"
    for prefix in (
        "id_token_encrypted_response",
        "userinfo_encrypted_response",
        "authorization_encrypted_response",
        "introspection_encrypted_response",
        "request_object_encryption",
    )
    for suffix in ("alg", "enc")
)


def check_no_encryption(members: Mapping[str, Any]) -> None:
    """None of :data:`ENCRYPTION_MEMBERS` is set in ``members`` (null counts as unset).

    Raises:
        InvalidClientMetadata: naming the first one.
    """
    for member in ENCRYPTION_MEMBERS:
        if members.get(member) is not None:
            raise InvalidClientMetadata(
                f"Parameter {member} is not valid: authgate signs responses and request "
                "objects and does not encrypt them"
            )


def check_detail_types(requested: Sequence[str], supported: Collection[str]) -> tuple[str, ...]:
    """The ``authorization_details_types`` a client registers (RFC 9396 §10): each one the
    server supports (``authorizationDetailsTypesSupported``), repeats dropped.

    Raises:
        InvalidClientMetadata: naming the first unsupported type.
    """
    for kind in requested:
        if kind not in supported:
            raise InvalidClientMetadata(
                f"Parameter authorization_details_types is not valid: {kind[:64]!r} is not "
                f"one of {list(supported)}"
            )
    return tuple(dict.fromkeys(requested))


def check_signed_response_algs(
    algs: Mapping[str, str | None], config: AppConfiguration, signing_algs: Collection[str]
) -> None:
    """Each signed-response algorithm a client chose (``introspection_signed_response_alg``,
    RFC 9701 §6; ``authorization_signed_response_alg``, JARM §3;
    ``userinfo_signed_response_alg``, OIDC Registration §2) is configured for its response
    and has an active key. ``algs``: member name -> the value, None where not chosen.

    Raises:
        InvalidClientMetadata: naming the member.
    """
    configured = {
        "introspection_signed_response_alg": config.introspectionSigningAlgValuesSupported,
        "authorization_signed_response_alg": config.authorizationSigningAlgValuesSupported,
        "userinfo_signed_response_alg": config.userInfoSigningAlgValuesSupported,
    }
    for member, alg in algs.items():
        supported = [a for a in configured[member] if a in signing_algs]
        if alg is not None and alg not in supported:
            raise InvalidClientMetadata(
                f"Parameter {member} is not valid: '{alg}' is not one of {supported}"
            )
