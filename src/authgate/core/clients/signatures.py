"""Whether a JWT was signed by a client: with the keys it registered (``jwks``, or
``jwks_uri`` fetched through the JWKS port), trying a fresh copy of ``jwks_uri`` once when
a ``kid`` is not found (the client may have rotated its keys).

Used by client authentication with ``private_key_jwt`` (:mod:`authgate.core.clients.
assertion`) and by signed request objects (:mod:`authgate.core.authorize.request_object`);
each maps :class:`KeysUnavailable` to its own error. Encrypted responses find the client's
encryption keys through :func:`keys_of` too (:mod:`authgate.core.tokens.encryption`).
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from joserfc.jwk import Key

from authgate.core.ports import Services
from authgate.core.types import Client
from authgate.crypto import client_keys
from authgate.errors import OutboundError

logger = logging.getLogger(__name__)


class Unavailable(enum.Enum):
    """Why a client's keys cannot be had."""

    UNREACHABLE = "unreachable"  # jwks_uri could not be read
    NONE = "none"  # neither jwks nor jwks_uri registered
    UNUSABLE = "unusable"  # the key set holds no usable key


class KeysUnavailable(Exception):
    """The client's keys cannot be had; ``detail`` says why for ``UNUSABLE``. What the server
    saw at ``jwks_uri`` stays in the log: the registrant chose the URL, so echoing it would
    make jwks_uri a probing tool."""

    def __init__(self, reason: Unavailable, detail: str = "") -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.detail = detail


async def keys_of(client: Client, svc: Services, *, refresh: bool, use: str = "sig") -> list[Key]:
    """The client's public keys for ``use``: ``sig`` (signing) or ``enc`` (encryption).

    Raises:
        KeysUnavailable: see :class:`Unavailable`.
    """
    meta = client.metadata
    if meta.jwks is not None:
        source: Any = meta.jwks
    elif meta.jwks_uri:
        try:
            source = await svc.jwks.get(meta.jwks_uri, refresh=refresh)
        except OutboundError as exc:
            logger.info("jwks_uri of client %s unusable: %s", client.client_id, exc)
            raise KeysUnavailable(Unavailable.UNREACHABLE) from None
    else:
        raise KeysUnavailable(Unavailable.NONE)
    try:
        return client_keys.import_public_jwks(source, use=use)
    except client_keys.UnusableKeys as exc:
        raise KeysUnavailable(Unavailable.UNUSABLE, str(exc)) from None


async def signed_by_client(
    token: str, client: Client, alg: str, kid: str | None, svc: Services
) -> bool:
    """Whether ``token`` carries a valid ``alg`` signature by one of the client's keys.

    Raises:
        KeysUnavailable: see :func:`keys_of`.
    """
    if client_keys.verify(token, await keys_of(client, svc, refresh=False), alg, kid):
        return True
    if client.metadata.jwks_uri and kid is not None:  # the client may have rotated its keys
        return client_keys.verify(token, await keys_of(client, svc, refresh=True), alg, kid)
    return False
