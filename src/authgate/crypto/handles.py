"""Random handles (codes, tokens, secrets), the keys under which they are stored, grant ids.

A handle is the millisecond clock in 12 hex digits followed by 256 random bits from
:func:`secrets.token_urlsafe` (43 URL-safe characters). Only a hash of it is ever written to
the database, so a database leak reveals no usable token, code or secret. SHA-256 (not a
slow KDF) is right here because the random part is uniformly random.

Why the clock: the storage key keeps the handle's clock digits in front of the hash
(12 digits, then the first 52 hex digits of its SHA-256: 64 characters, 208 bits of hash).
Keys issued one after another then sort one after another, so the B-tree pages that a new
code or token lands in are the few at the right edge of the index, already in memory and
already dirty in the running commit, instead of one random page per row, which SQLite
writes to its WAL and again to the database file (docs/benchmarks.md, "Choices made by
measurement"). The clock says when a handle was issued, which its expiry tells anyway; its
secrecy rests on the random part.

Handles issued before this scheme (43 characters, no clock) keep their full SHA-256 as key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid

#: Hex digits of the millisecond clock that open a handle (48 bits).
CLOCK_DIGITS = 12
#: Length of a handle: the clock, then 43 random URL-safe characters.
HANDLE_LENGTH = CLOCK_DIGITS + 43
_HEX = frozenset("0123456789abcdef")
_CLOCK_MASK = (1 << 48) - 1


def _clock() -> int:
    return (time.time_ns() // 1_000_000) & _CLOCK_MASK


def new_handle() -> str:
    """A fresh unguessable handle: the clock in 12 hex digits, then 256 random bits."""
    return f"{_clock():012x}{secrets.token_urlsafe(32)}"


def _ordered(handle: str) -> bool:
    return len(handle) == HANDLE_LENGTH and _HEX.issuperset(handle[:CLOCK_DIGITS])


def _full_hash(handle: str) -> str:
    return hashlib.sha256(handle.encode("utf-8")).hexdigest()


def handle_hash(handle: str) -> str:
    """The storage key of a handle: its clock digits and SHA-256 (64 hex characters).

    Any other value (a handle from before the clock, a JWT, a secret chosen by hand) is
    keyed by its full hex SHA-256.
    """
    digest = _full_hash(handle)
    if _ordered(handle):
        return handle[:CLOCK_DIGITS] + digest[: 64 - CLOCK_DIGITS]
    return digest


def hash_matches(handle: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented handle with a stored hash.

    A secret chosen by hand before handles carried a clock, and shaped like one, was stored
    under its full SHA-256: that key is accepted too.
    """
    if stored_hash is None:
        return False
    if hmac.compare_digest(handle_hash(handle), stored_hash):
        return True
    return _ordered(handle) and hmac.compare_digest(_full_hash(handle), stored_hash)


def new_grant_id() -> str:
    """A time-ordered UUID (version 7, RFC 9562 §5.7) naming a grant.

    Tokens are indexed by grant id (to revoke a grant at once); ids that grow with time keep
    those index insertions at the index's right edge, as the handles' clock does for keys.
    """
    value = (_clock() << 80) | int.from_bytes(secrets.token_bytes(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    return str(uuid.UUID(int=value))
