"""WebAuthn challenges: random, single-use, expiring, and bound to what they were issued for.

A challenge is 16 random bytes, its expiry (8 bytes, big-endian epoch seconds) and an HMAC
(16 bytes) over both and its *binding*: the purpose (``login``, ``second-factor``,
``register``, ``confirm``) and the login interaction or login session it belongs to. The
server therefore stores nothing when it hands one out; it checks the MAC and the expiry
when the browser sends it back inside ``clientDataJSON``, then records it in the replay
cache (:class:`~authgate.core.ports.ReplayCache`, shared by every instance) until it
expires, so it is accepted once. A challenge issued for another interaction, session or
purpose fails the MAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct

from authgate.core.passkeys.errors import PasskeyRejected, Reason
from authgate.core.passkeys.relying_party import CEREMONY_TIMEOUT
from authgate.core.ports import Services

LOGIN = "login"
SECOND_FACTOR = "second-factor"
REGISTER = "register"
CONFIRM = "confirm"

_NONCE = 16
_MAC = 16
SIZE = _NONCE + 8 + _MAC


def _key(svc: Services) -> bytes:
    secret = svc.config.current.pairwiseCalculationKey.encode("utf-8")
    return hmac.new(secret, b"authgate webauthn challenge v1", hashlib.sha256).digest()


def _mac(svc: Services, body: bytes, purpose: str, binding: str) -> bytes:
    message = body + b"\x00" + purpose.encode() + b"\x00" + binding.encode()
    return hmac.new(_key(svc), message, hashlib.sha256).digest()[:_MAC]


def issue(svc: Services, purpose: str, binding: str) -> bytes:
    """A new challenge for ``purpose`` bound to ``binding`` (an interaction id, a session
    hash), valid for :data:`CEREMONY_TIMEOUT` seconds."""
    expires_at = int(svc.clock.now()) + CEREMONY_TIMEOUT
    body = secrets.token_bytes(_NONCE) + struct.pack(">Q", expires_at)
    return body + _mac(svc, body, purpose, binding)


async def redeem(svc: Services, challenge: bytes, purpose: str, binding: str) -> bytes:
    """Accept ``challenge`` once: it must be ours, for ``purpose`` and ``binding``, unexpired
    and never redeemed before. Returns it (the expected challenge of the ceremony).

    Raises:
        PasskeyRejected: foreign (including forged or for another page), expired, or replayed.
    """
    if len(challenge) != SIZE:
        raise PasskeyRejected(Reason.CHALLENGE_FOREIGN)
    body, mac = challenge[: _NONCE + 8], challenge[_NONCE + 8 :]
    if not hmac.compare_digest(mac, _mac(svc, body, purpose, binding)):
        raise PasskeyRejected(Reason.CHALLENGE_FOREIGN)
    (expires_at,) = struct.unpack(">Q", body[_NONCE:])
    now = svc.clock.now()
    if expires_at <= now:
        raise PasskeyRejected(Reason.CHALLENGE_EXPIRED)
    key = hashlib.sha256(b"webauthn challenge\x00" + challenge).hexdigest()
    if not await svc.replay.remember(key, float(expires_at), now):
        raise PasskeyRejected(Reason.CHALLENGE_REPLAYED)
    return challenge
