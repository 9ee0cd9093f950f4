"""DPoP proofs (RFC 9449 §4): checking one, its key thumbprint, and server nonces (§8).

:func:`verify_proof` runs the checks of RFC 9449 §4.3 in order and returns the RFC 7638
thumbprint (``jkt``) of the proof's key. Signature checks are cheap (one public key import and
one verification); the ``jti`` replay check is the only I/O, and only for requests that carry
a proof.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from joserfc.jws import JWSRegistry

from authgate.appconfig import AppConfiguration
from authgate.core.ports import Services
from authgate.errors import InvalidDPoPProof, UseDPoPNonce

PROOF_TYP = "dpop+jwt"
#: JWK members that only a private (or symmetric) key has (RFC 7518 §6).
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_PROOF_LENGTH = 8192
MAX_JTI_LENGTH = 256
MIN_RSA_BITS = 2048


class ProofRegistry(JWSRegistry):
    """joserfc's JWS rules with room for an RSA public key in the header (its default header
    limit, 512 bytes, only fits EC and OKP keys)."""

    max_header_length = 4096
    max_payload_length = 4096


@dataclass(frozen=True, slots=True)
class Proof:
    """A verified DPoP proof: the thumbprint of its key (``jkt``), its ``jti`` and ``iat``."""

    jkt: str
    jti: str
    iat: float


def b64url_sha256(value: str) -> str:
    """base64url (no padding) of SHA-256 of the ASCII value: ``ath`` (RFC 9449 §4.2)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def normalise_htu(uri: str) -> str | None:
    """An HTTP URI for comparison (RFC 9449 §4.3 check 9; RFC 3986 §6.2.2-6.2.3): lower-case
    scheme and host, no default port, empty path as ``/``, query and fragment dropped."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def _nonce_key(config: AppConfiguration) -> bytes:
    # Derived from a secret every instance shares (the configuration document), separated
    # from its other use by the label.
    secret = config.pairwiseCalculationKey.encode("utf-8")
    return hmac.new(secret, b"authgate DPoP-Nonce v1", hashlib.sha256).digest()


def server_nonce(config: AppConfiguration, now: float, *, windows_back: int = 0) -> str:
    """The server's DPoP nonce for the time window containing ``now`` (RFC 9449 §8).

    Stateless: an HMAC of the window number, so every instance issues and accepts the same
    nonces without storing them. The current and the previous window are accepted.
    """
    window = math.floor(now / config.dpopNonceCacheTime) - windows_back
    mac = hmac.new(_nonce_key(config), str(window).encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode("ascii")


def same(a: str, b: str) -> bool:
    """Constant-time string equality that also accepts non-ASCII input (never raises)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _nonce_ok(value: Any, config: AppConfiguration, now: float) -> bool:
    if not isinstance(value, str):
        return False
    return any(same(value, server_nonce(config, now, windows_back=back)) for back in (0, 1))


def _rsa_bits(modulus: Any) -> int:
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except ValueError:
        return 0
    return int.from_bytes(raw, "big").bit_length()


def _decode(value: str, algorithms: list[str]) -> tuple[Mapping[str, Any], Mapping[str, Any], str]:
    """Header, claims and key thumbprint of a proof whose signature verifies with the public
    key in its own ``jwk`` header (RFC 9449 §4.3 checks 2-7)."""
    if len(value) > MAX_PROOF_LENGTH or value.count(".") != 2:
        raise InvalidDPoPProof("The DPoP proof is not a compact JWS")
    try:
        unverified = jws.extract_compact(value.encode("ascii"), registry=ProofRegistry())
    except (JoseError, ValueError, UnicodeError):
        raise InvalidDPoPProof("The DPoP proof is not a well-formed JWT") from None
    header = unverified.headers()
    if header.get("typ") != PROOF_TYP:
        raise InvalidDPoPProof(f"The DPoP proof's typ must be {PROOF_TYP}")
    alg = header.get("alg")
    if alg not in algorithms:
        raise InvalidDPoPProof(f"The DPoP proof's alg must be one of {' '.join(algorithms)}")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & set(jwk):
        raise InvalidDPoPProof("The DPoP proof's jwk header must be a public key")
    if jwk.get("kty") == "RSA" and _rsa_bits(jwk.get("n")) < MIN_RSA_BITS:
        raise InvalidDPoPProof(f"The DPoP proof's RSA key must have at least {MIN_RSA_BITS} bits")
    try:
        key = JWKRegistry.import_key(jwk)
        verified = jws.deserialize_compact(value, key, registry=ProofRegistry(algorithms=[alg]))
        jkt = key.thumbprint()
    except (JoseError, ValueError, TypeError, KeyError, UnicodeError):
        raise InvalidDPoPProof("The DPoP proof's signature does not verify") from None
    try:
        claims = orjson.loads(verified.payload)
    except orjson.JSONDecodeError:
        claims = None
    if not isinstance(claims, dict):
        raise InvalidDPoPProof("The DPoP proof's payload is not a JSON object")
    return header, claims, jkt


def _check_claims(
    claims: Mapping[str, Any], *, htm: str, htu: str, now: float, window: int
) -> tuple[str, float]:
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise InvalidDPoPProof("The DPoP proof must have a jti")
    if claims.get("htm") != htm:
        raise InvalidDPoPProof(f"The DPoP proof's htm does not match {htm}")
    proof_htu = claims.get("htu")
    if not isinstance(proof_htu, str) or normalise_htu(proof_htu) != normalise_htu(htu):
        raise InvalidDPoPProof("The DPoP proof's htu does not match this endpoint")
    if isinstance(iat, bool) or not isinstance(iat, int | float) or abs(now - iat) > window:
        raise InvalidDPoPProof("The DPoP proof's iat is missing or not recent enough")
    return jti, float(iat)


async def verify_proof(
    value: str | None,
    *,
    htm: str,
    htu: str,
    svc: Services,
    access_token: str | None = None,
) -> Proof:
    """Check a DPoP proof (RFC 9449 §4.3) and remember its ``jti`` (§11.1).

    Args:
        value: The ``DPoP`` header (exactly one; the web layer refuses several).
        htm, htu: The method and URI of this request, as the client addressed it.
        access_token: At a protected resource, the token the proof must hash (``ath``).

    Raises:
        InvalidDPoPProof: any check fails, or the proof was seen before.
        UseDPoPNonce: ``dpopUseNonce`` is on and the proof lacks a current nonce.
    """
    if not value:
        raise InvalidDPoPProof("A DPoP proof is required")
    config = svc.config.current
    now = svc.clock.now()
    _header, claims, jkt = _decode(value, config.dpopSigningAlgValuesSupported)
    jti, iat = _check_claims(claims, htm=htm, htu=htu, now=now, window=config.dpopTimeframe)
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not same(ath, b64url_sha256(access_token)):
            raise InvalidDPoPProof("The DPoP proof's ath does not match the access token")
    if config.dpopUseNonce and not _nonce_ok(claims.get("nonce"), config, now):
        raise UseDPoPNonce(
            "Resend the request with a DPoP proof carrying the nonce in DPoP-Nonce",
            nonce=server_nonce(config, now),
        )
    key = hashlib.sha256(f"{jkt}:{jti}".encode()).hexdigest()
    if not await svc.replay.remember(key, max(iat, now) + config.dpopTimeframe, now):
        raise InvalidDPoPProof("The DPoP proof has been used before (jti replay)")
    return Proof(jkt=jkt, jti=jti, iat=iat)
