"""Random handles (codes, tokens, secrets) and the hashes under which they are stored.

Handles carry 256 bits from :func:`secrets.token_urlsafe`; only their SHA-256 is ever
written to the database, so a database leak reveals no usable token, code or secret.
SHA-256 (not a slow KDF) is right here because the inputs are uniformly random.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_handle() -> str:
    """A fresh unguessable handle: 43 URL-safe characters (256 bits)."""
    return secrets.token_urlsafe(32)


def handle_hash(handle: str) -> str:
    """The storage key of a handle: hex SHA-256."""
    return hashlib.sha256(handle.encode("utf-8")).hexdigest()


def hash_matches(handle: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented handle with a stored hash."""
    if stored_hash is None:
        return False
    return hmac.compare_digest(handle_hash(handle), stored_hash)
