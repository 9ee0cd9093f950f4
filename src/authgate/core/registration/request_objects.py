"""Registration metadata for request objects and signed responses:
``request_object_signing_alg``, ``require_signed_request_object`` (OIDC Registration §2,
RFC 9101 §10.5), ``introspection_signed_response_alg`` (RFC 9701 §6),
``authorization_signed_response_alg`` (JARM §3) and ``userinfo_signed_response_alg`` (OIDC
Registration §2); the encrypted responses a client asks for (OIDC Registration §2, JARM §3,
RFC 9701 §6)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypedDict, cast

from authgate.appconfig import AppConfiguration
from authgate.core.tokens.encryption import RESPONSES, supported
from authgate.crypto import client_encryption, client_keys
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
    if alg is None and not require_signed:
        return
    member = "request_object_signing_alg" if alg is not None else "require_signed_request_object"
    if jwks is None and jwks_uri is None:
        raise InvalidClientMetadata(
            f"Parameter {member} is not valid: signed request objects need jwks or jwks_uri"
        )
    if jwks is not None:  # a set of encryption keys only would verify nothing
        try:
            client_keys.import_public_jwks(jwks)
        except client_keys.UnusableKeys as exc:
            raise InvalidClientMetadata(
                f"Parameter {member} is not valid: signed request objects need a signing key "
                f"({exc})"
            ) from None


#: The members that ask for encrypted responses, ``alg`` then ``enc`` for each (OIDC
#: Registration §2, JARM §3, RFC 9701 §6).
ENCRYPTED_RESPONSE_MEMBERS = tuple(
    f"{response}_encrypted_response_{part}" for response in RESPONSES for part in ("alg", "enc")
)
#: Request objects encrypted to the server (OIDC Registration §2): refused, since authgate
#: publishes no encryption key of its own.
REQUEST_OBJECT_ENCRYPTION = ("request_object_encryption_alg", "request_object_encryption_enc")


class EncryptedResponses(TypedDict):
    """The encryption members a client stores: :data:`ENCRYPTED_RESPONSE_MEMBERS`."""

    id_token_encrypted_response_alg: str | None
    id_token_encrypted_response_enc: str | None
    userinfo_encrypted_response_alg: str | None
    userinfo_encrypted_response_enc: str | None
    authorization_encrypted_response_alg: str | None
    authorization_encrypted_response_enc: str | None
    introspection_encrypted_response_alg: str | None
    introspection_encrypted_response_enc: str | None


def check_encryption(
    values: Mapping[str, Any],
    jwks: Mapping[str, Any] | None,
    jwks_uri: str | None,
    config: AppConfiguration,
) -> EncryptedResponses:
    """The encrypted responses a client asks for: for each response of
    :data:`ENCRYPTED_RESPONSE_MEMBERS`, an ``alg`` and ``enc`` the configuration lists, ``enc``
    only with ``alg`` (A128CBC-HS256 when left out), and a key to encrypt to: registered
    keys by ``jwks_uri``, or a ``jwks`` holding one that fits ``alg``. ``values``: member ->
    value as sent (null counts as unset). Returns the members to store, ``enc`` filled in.

    Raises:
        InvalidClientMetadata: naming the member; also for the request object encryption
            members.
    """
    for member in REQUEST_OBJECT_ENCRYPTION:
        if values.get(member) is not None:
            raise InvalidClientMetadata(
                f"Parameter {member} is not valid: authgate publishes no encryption key, so "
                "request objects cannot be encrypted to it; sign them instead"
            )
    stored: dict[str, str | None] = dict.fromkeys(ENCRYPTED_RESPONSE_MEMBERS)
    for response in RESPONSES:
        alg_member, enc_member = (f"{response}_encrypted_response_{p}" for p in ("alg", "enc"))
        alg, enc = values.get(alg_member), values.get(enc_member)
        if alg is None:
            if enc is not None:
                raise InvalidClientMetadata(
                    f"Parameter {enc_member} is not valid: it needs {alg_member}"
                )
            continue
        algs, encs = supported(config, response)
        enc = enc or client_encryption.DEFAULT_ENC
        if alg not in algs:
            raise InvalidClientMetadata(
                f"Parameter {alg_member} is not valid: {alg[:64]!r} is not one of {algs}"
            )
        if enc not in encs:
            raise InvalidClientMetadata(
                f"Parameter {enc_member} is not valid: {enc[:64]!r} is not one of {encs}"
            )
        _check_key(alg_member, alg, jwks, jwks_uri)
        stored[alg_member], stored[enc_member] = alg, enc
    return cast(EncryptedResponses, stored)


def _check_key(member: str, alg: str, jwks: Mapping[str, Any] | None, jwks_uri: str | None) -> None:
    if jwks is None and jwks_uri is None:
        raise InvalidClientMetadata(
            f"Parameter {member} is not valid: encryption needs the client's public key in "
            "jwks or jwks_uri"
        )
    if jwks is None:
        return
    try:
        keys = client_keys.import_public_jwks(jwks, use="enc")
    except client_keys.UnusableKeys:
        keys = []
    if client_encryption.pick(keys, alg) is None:
        kind = "an RSA" if alg.startswith("RSA") else "an EC"
        raise InvalidClientMetadata(
            f"Parameter {member} is not valid: jwks holds no key to encrypt to with {alg} "
            f"({kind} key whose use is not sig)"
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
