"""Sealing data under a key that only the holder of a token value can derive.

Used for the refresh token reuse grace window: when a refresh token is rotated, its
successors' plaintext values are stored next to it, encrypted (AES-256-GCM) with a key
derived from the *presented* refresh token by HMAC-SHA256. The database holds only the
token's SHA-256, from which the key cannot be computed, so neither a database reader nor
the server itself can open the box later; only a client that presents the old token again
can. The box is bound to the row it is stored on (associated data) and is deleted when the
grace window ends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_LABEL = b"authgate/sealed/v1"
_NONCE = 12


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _LABEL, hashlib.sha256).digest()


def seal(secret: str, context: str, plaintext: bytes) -> str:
    """Encrypt ``plaintext`` under a key derived from ``secret``, bound to ``context``.

    Args:
        secret: A high-entropy value (a 256-bit token handle) the opener must present.
        context: Associated data, e.g. the hash the box is stored under.
        plaintext: What to protect.

    Returns:
        ``base64url(nonce || ciphertext || tag)`` without padding.
    """
    nonce = os.urandom(_NONCE)
    box = AESGCM(_key(secret)).encrypt(nonce, plaintext, context.encode("utf-8"))
    return base64.urlsafe_b64encode(nonce + box).rstrip(b"=").decode("ascii")


def unseal(secret: str, context: str, sealed: str) -> bytes | None:
    """The plaintext of :func:`seal`'s output, or None if the secret or context is wrong."""
    try:
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) <= _NONCE:
        return None
    try:
        return AESGCM(_key(secret)).decrypt(raw[:_NONCE], raw[_NONCE:], context.encode("utf-8"))
    except InvalidTag:
        return None
