"""Sender-constrained access tokens at protected resources (RFC 9449 §7) and what token
introspection reports about a binding (RFC 9449 §6.2).

Any endpoint that accepts an access token (userinfo here; revocation and introspection
callers too) runs :func:`verify_binding` after looking the token up: a DPoP-bound token is
usable only with the ``DPoP`` scheme and a fresh proof from the key it is bound to, and a
plain bearer token only with the ``Bearer`` scheme.
"""

from __future__ import annotations

from typing import Any, Literal

from authgate.core.ports import Services
from authgate.core.tokens import dpop
from authgate.core.types import TokenRecord
from authgate.errors import InvalidToken

Scheme = Literal["Bearer", "DPoP"]


def parse_authorization(header: str | None) -> tuple[Scheme, str] | None:
    """The scheme and token of an ``Authorization`` header (RFC 6750 §2.1, RFC 9449 §7.1);
    None when it is absent or uses another scheme."""
    if not header or " " not in header:
        return None
    name, _, value = header.partition(" ")
    token = value.strip()
    if not token:
        return None
    lowered = name.lower()
    if lowered == "bearer":
        return "Bearer", token
    if lowered == "dpop":
        return "DPoP", token
    return None


async def verify_binding(
    record: TokenRecord,
    *,
    scheme: Scheme,
    access_token: str,
    proof: str | None,
    htm: str,
    htu: str,
    svc: Services,
) -> None:
    """Check that the token is presented the way its binding requires.

    Raises:
        InvalidToken: a DPoP-bound token sent as Bearer, an unbound token sent as DPoP, or a
            proof by a key other than the bound one.
        InvalidDPoPProof, UseDPoPNonce: the proof fails RFC 9449 §4.3 (incl. ``ath``).
    """
    if record.jkt is None:
        if scheme == "DPoP":
            raise InvalidToken("The access token is not DPoP-bound; send it as a Bearer token")
        return
    if scheme != "DPoP":
        raise InvalidToken(
            "The access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof "
            "(RFC 9449 §7.1)"
        )
    verified = await dpop.verify_proof(proof, htm=htm, htu=htu, svc=svc, access_token=access_token)
    if not dpop.same(verified.jkt, record.jkt):
        raise InvalidToken("The DPoP proof is signed by a key the access token is not bound to")


def binding_members(record: TokenRecord) -> dict[str, Any]:
    """Introspection response members for the token's binding (RFC 9449 §6.2, RFC 7800)."""
    if record.jkt is None:
        return {"token_type": "Bearer"}
    return {"token_type": "DPoP", "cnf": {"jkt": record.jkt}}
