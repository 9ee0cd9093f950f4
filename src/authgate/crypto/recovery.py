"""Recovery codes: single-use codes a user keeps on paper for when the authenticator is lost.

Ten codes of 10 characters from a 30-symbol alphabet without look-alikes (49 bits each),
shown grouped ``xxxxx-xxxxx``. Only a keyed hash is stored (HMAC-SHA256 under a server
secret, over the user id and the normalised code): the codes have enough entropy that a
slow hash buys nothing against an offline guess that does not also hold the key, and a keyed
hash can be looked up directly. Online guessing is bounded by brute-force protection.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COUNT = 10
LENGTH = 10
#: Lower-case letters and digits without look-alikes (no i, l, o, u, 0, 1): 30 symbols.
ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"
_GROUP = 5


def new_codes(count: int = COUNT) -> list[str]:
    """``count`` fresh codes, formatted for display."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        codes.append(f"{raw[:_GROUP]}-{raw[_GROUP:]}")
    return codes


def normalise(code: str) -> str:
    """The code as typed, without spaces and dashes, lower case."""
    return "".join(c for c in code.casefold() if c not in " -\t")


def code_hash(key: str, user_id: str, code: str) -> str:
    """The stored form of ``code`` for ``user_id``: HMAC-SHA256 under ``key``, hex."""
    mac = hmac.new(key.encode("utf-8"), b"authgate recovery code v1\x00", hashlib.sha256)
    mac.update(user_id.encode("utf-8") + b"\x00" + normalise(code).encode("utf-8"))
    return mac.hexdigest()
