"""Time-based one-time passwords (RFC 6238) over pyotp, and sealing their seeds at rest.

A seed is 160 random bits (RFC 4226 §4 recommends at least 128, 160 preferred), base32 as
authenticator apps expect it. Codes have 6 digits and a 30-second step (RFC 6238 §4, §5.2).
:func:`matching_step` accepts the current step and one step each way (clock drift, RFC 6238
§5.2) and says *which* step matched, so the caller can refuse a step it accepted before.

Seeds are stored sealed (:mod:`authgate.crypto.sealed`, AES-256-GCM) under a key derived
from a server secret and bound to the factor's id, so a copy of the factor table alone
yields no seed.
"""

from __future__ import annotations

import hmac

import pyotp

from authgate.crypto.sealed import seal, unseal

DIGITS = 6
PERIOD = 30
#: Steps accepted on either side of the current one (RFC 6238 §5.2).
WINDOW = 1
_SEED_BYTES = 20


def new_seed() -> str:
    """A new random base32 seed (160 bits)."""
    return pyotp.random_base32(length=_SEED_BYTES * 8 // 5)


def step_at(now: float) -> int:
    """The RFC 6238 time step ``T`` at ``now`` (T0 = 0)."""
    return int(now) // PERIOD


def code_at(seed: str, step: int) -> str:
    """The code of ``step``."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=PERIOD).generate_otp(step)


def matching_step(seed: str, code: str, now: float, *, window: int = WINDOW) -> int | None:
    """The step within ``window`` of now whose code is ``code``, or None.

    Every candidate is compared in constant time, and all of them are computed whatever
    matches, so the timing does not say which step matched.
    """
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    current = step_at(now)
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(code_at(seed, step).encode(), typed.encode()):
            found = step if found is None else found
    return found


def provisioning_uri(seed: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=PERIOD).provisioning_uri(
        name=account, issuer_name=issuer
    )


def seal_seed(key: str, factor_id: str, seed: str) -> str:
    """``seed`` sealed under ``key`` (a server secret), bound to ``factor_id``."""
    return seal(key, f"totp:{factor_id}", seed.encode("ascii"))


def unseal_seed(key: str, factor_id: str, sealed: str) -> str | None:
    """The seed of :func:`seal_seed`, or None when the key or the factor id is wrong."""
    raw = unseal(key, f"totp:{factor_id}", sealed)
    return None if raw is None else raw.decode("ascii")
