"""Encrypted responses for the clients that ask for them at registration: id_tokens (OIDC
Core §10.2), UserInfo responses (§5.3.2), authorization responses in a JARM mode (JARM §2.3)
and JWT introspection responses (RFC 9701 §5), with the members
``<response>_encrypted_response_alg`` and ``_enc`` (OIDC Registration §2, JARM §3, RFC 9701
§6).

A signed response is signed first and then encrypted: a nested JWT whose JWE header says
``cty: JWT`` (RFC 7519 §5.2). UserInfo claims of a client that asked for encryption and
no signature are encrypted as JSON. The key is the client's own: the first key of its
``jwks`` or ``jwks_uri`` that fits the algorithm and is not marked for signing only.
Without one the response is not sent at all (``invalid_request`` naming the reason), never
sent readable. See docs/authorization-responses.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from joserfc.jwk import JWKRegistry, Key

from authgate.appconfig import AppConfiguration
from authgate.core.clients.signatures import KeysUnavailable, Unavailable, keys_of
from authgate.core.ports import Services
from authgate.core.types import Client, ClientMetadata
from authgate.crypto import client_encryption
from authgate.errors import InvalidRequest

logger = logging.getLogger(__name__)

Response = Literal["id_token", "userinfo", "authorization", "introspection"]
#: The responses a client may ask to have encrypted, as registration members name them.
RESPONSES: tuple[Response, ...] = ("id_token", "userinfo", "authorization", "introspection")
_LABELS = {
    "id_token": "id_token",
    "userinfo": "UserInfo response",
    "authorization": "authorization response",
    "introspection": "introspection response",
}
_WHY = {
    Unavailable.UNREACHABLE: "its jwks_uri could not be read",
    Unavailable.NONE: "it registered neither jwks nor jwks_uri",
}


@dataclass(frozen=True, slots=True)
class Sealer:
    """Encrypts one client's responses: its key, the key management and the content
    encryption algorithms."""

    key: Key
    alg: str
    enc: str

    def seal(self, payload: str | bytes, *, nested: bool) -> str:
        """``payload`` as a compact JWE; ``nested``: it is a signed JWT (``cty: JWT``)."""
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        cty = "JWT" if nested else None
        return client_encryption.encrypt(data, self.key, self.alg, self.enc, cty=cty)

    def to_json(self) -> dict[str, Any]:
        """What :meth:`from_json` rebuilds it from (the public key only), for a request
        that waits for the user between validation and its response."""
        return {"alg": self.alg, "enc": self.enc, "jwk": self.key.as_dict(private=False)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sealer:
        return cls(JWKRegistry.import_key(dict(data["jwk"])), str(data["alg"]), str(data["enc"]))


_CONFIG_PREFIX = {
    "id_token": "idToken",
    "userinfo": "userInfo",
    "authorization": "authorization",
    "introspection": "introspection",
}


def supported(config: AppConfiguration, response: Response) -> tuple[list[str], list[str]]:
    """The key management and content encryption algorithms the configuration offers for
    ``response`` (``idTokenEncryptionAlgValuesSupported`` and the others)."""
    prefix = _CONFIG_PREFIX[response]
    return (
        list(getattr(config, f"{prefix}EncryptionAlgValuesSupported")),
        list(getattr(config, f"{prefix}EncryptionEncValuesSupported")),
    )


def requested(meta: ClientMetadata, response: Response) -> tuple[str, str] | None:
    """The ``(alg, enc)`` the client registered for ``response``, or None if it did not ask
    for encryption (an ``alg`` without ``enc`` means A128CBC-HS256)."""
    alg = getattr(meta, f"{response}_encrypted_response_alg")
    if alg is None:
        return None
    enc = getattr(meta, f"{response}_encrypted_response_enc")
    return alg, enc or client_encryption.DEFAULT_ENC


async def sealer_for(client: Client, svc: Services, response: Response) -> Sealer | None:
    """How to encrypt ``response`` for ``client``, or None if it did not ask for encryption.

    A ``jwks_uri`` is read again once when it holds no key for the algorithm (the client
    may have added one since it was cached).

    Raises:
        InvalidRequest: the client's keys cannot be had or none fits the algorithm.
    """
    wanted = requested(client.metadata, response)
    if wanted is None:
        return None
    alg, enc = wanted
    label = _LABELS[response]
    try:
        key = client_encryption.pick(await keys_of(client, svc, refresh=False, use="enc"), alg)
        if key is None and client.metadata.jwks_uri:
            keys = await keys_of(client, svc, refresh=True, use="enc")
            key = client_encryption.pick(keys, alg)
    except KeysUnavailable as exc:
        why = _WHY.get(exc.reason) or exc.detail
        logger.warning("cannot encrypt the %s for client %s: %s", label, client.client_id, why)
        raise InvalidRequest(f"The {label} cannot be encrypted for this client: {why}") from None
    if key is None:
        logger.warning("client %s has no key for %s", client.client_id, alg)
        raise InvalidRequest(
            f"The {label} cannot be encrypted for this client: none of its keys fits {alg}"
        )
    return Sealer(key, alg, enc)
