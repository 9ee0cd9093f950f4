"""Hostile JWTs for the fuzz: DPoP proofs, client assertions, request objects, ID Token hints
and bearer tokens whose header or claims are wrong in every way JSON allows.

A signature over arbitrary bytes is made here with ``cryptography`` (ES256, raw ``r || s``),
so a proof or assertion can carry any header and still verify under the client's registered
key: the checks after the signature get fuzzed too.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(value: object) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except (ValueError, OverflowError):
        return b"{}"


class FuzzKey:
    """An EC P-256 key that signs any header and payload (ES256)."""

    def __init__(self, kid: str = "fuzz") -> None:
        self.kid = kid
        self._private = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_jwk(self) -> dict[str, str]:
        numbers = self._private.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "kid": self.kid,
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }

    def sign(self, header: object, payload: object) -> str:
        """A compact JWS of ``header`` and ``payload`` (JSON values, or raw bytes)."""
        head = header if isinstance(header, bytes) else _json(header)
        body = payload if isinstance(payload, bytes) else _json(payload)
        signing_input = f"{b64url(head)}.{b64url(body)}".encode()
        r, s = decode_dss_signature(self._private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return f"{signing_input.decode()}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


HOSTILE_CLAIMS: list[object] = [
    None,
    True,
    "",
    "\x00",
    [],
    {},
    [1, 2],
    {"a": {"b": {}}},
    -1,
    0,
    1.5,
    2**63,
    10**30,
    "1800000000",
    "é漢字",
    "a" * 3000,
    "http://evil.example/",
]
ALGS: list[object] = ["ES256", "ES256", "none", "HS256", "RS256", "PS256", "EdDSA", "", None, 1]


def mutated(
    rng: random.Random, members: dict[str, Any], extra: tuple[str, ...]
) -> tuple[dict[str, Any], str]:
    """``members`` with one changed, dropped or added (from ``extra`` or anything)."""
    members = dict(members)
    choice = rng.randrange(4)
    if choice == 0 and members:
        name = rng.choice(sorted(members))
        del members[name]
        return members, f"no {name}"
    if choice == 1:
        name = rng.choice([*extra, "x", "", "crit", "b64", "zip", "cnf"])
        members[name] = rng.choice(HOSTILE_CLAIMS)
        return members, f"odd {name}"
    name = rng.choice(sorted(members)) if members else "x"
    members[name] = rng.choice(HOSTILE_CLAIMS)
    return members, f"hostile {name}"


def hostile_jwt(
    rng: random.Random, key: FuzzKey, header: dict[str, Any], claims: dict[str, Any]
) -> tuple[str, str]:
    """A JWT built from a plausible ``header`` and ``claims``, broken somehow."""
    choice = rng.randrange(12)
    if choice == 0:
        return rng.choice(["", ".", "..", "a.b", "a.b.c.d.e", "e30.e30.", "e30..", "!!.!!.!!"]), (
            "not a JWS"
        )
    if choice == 1:  # segments that are not JSON, or JSON that is not an object
        head = rng.choice([b"{", b"[]", b"null", b'"x"', b"\xff\xfe", b'{"alg":"ES256"}'])
        body = rng.choice([b"{", b"[]", b"1e999", b'{"a":1,"a":2}', b"\xff", _json(claims)])
        return f"{b64url(head)}.{b64url(body)}.{b64url(b'sig')}", "unparsable segments"
    if choice == 2:  # plausible, unsigned
        return f"{b64url(_json(header))}.{b64url(_json(claims))}.", "no signature"
    if choice == 3:
        token = key.sign(header, claims)
        return token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), "bad signature"
    notes = []
    for _ in range(rng.randrange(1, 4)):
        if rng.random() < 0.4:
            header, note = mutated(rng, header, ("alg", "typ", "jwk", "kid", "jku", "x5c"))
        else:
            claims, note = mutated(rng, claims, ("iss", "sub", "aud", "exp", "iat", "jti"))
        notes.append(note)
    if rng.random() < 0.2:
        header["alg"] = rng.choice(ALGS)
        notes.append("alg")
    return key.sign(header, claims), "signed, " + ", ".join(notes)
