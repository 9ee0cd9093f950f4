"""User codes (RFC 8628 §6.1): short, easy to read aloud and to type, hard to guess in time.

A user code is 8 letters from :data:`ALPHABET`, 20 consonants with no vowels (so no words
form) and none of the letters easily taken for a digit or for each other; it is shown as
``XXXX-XXXX``. What a user types is normalised before the lookup: case is ignored, and so
are dashes and spaces, so ``bcdf-ghjk``, ``BCDFGHJK`` and ``bcdf ghjk`` are one code.

20**8 codes (about 2.6e10, 34 bits): with codes valid for 30 minutes and wrong guesses slowed
down per source (:mod:`authgate.core.protection.user_codes`) and rate limited, guessing a live
code is out of reach (RFC 8628 §5.1).

Codes are stored only as an HMAC under a server secret (:func:`user_code_hash`), so the
database alone does not let anyone list the live codes by trying all 20**8.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from authgate.appconfig import AppConfiguration

#: The letters of a user code (RFC 8628 §6.1's example alphabet: consonants only).
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
#: Letters in a user code.
LENGTH = 8
#: Where the dash goes when the code is shown.
GROUP = 4
_LETTERS = frozenset(ALPHABET)
#: Characters a user may type between letters; they are ignored.
_SEPARATORS = str.maketrans("", "", "- \t")


def new_user_code() -> str:
    """A fresh random user code in its normal form (8 letters, no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """``BCDFGHJK`` as shown to users: ``BCDF-GHJK``."""
    return f"{code[:GROUP]}-{code[GROUP:]}"


def normalise(typed: str) -> str | None:
    """The user code a user typed, in normal form, or None if it cannot be one (wrong
    length or a letter outside the alphabet).

    Case is ignored, and so are dashes, spaces and tabs anywhere.
    """
    if len(typed) > 4 * LENGTH:
        return None
    code = typed.translate(_SEPARATORS).upper()
    if len(code) != LENGTH or not _LETTERS.issuperset(code):
        return None
    return code


def user_code_hash(code: str, config: AppConfiguration) -> str:
    """The key a normalised user code is stored under: an HMAC (hex) under a secret every
    instance shares, derived from ``pairwiseCalculationKey`` with its own label."""
    secret = hmac.new(
        config.pairwiseCalculationKey.encode("utf-8"), b"authgate user code v1", hashlib.sha256
    ).digest()
    return hmac.new(secret, code.encode("ascii"), hashlib.sha256).hexdigest()
