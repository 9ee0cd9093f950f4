"""Signing a JWT with the server's key ring, for every kind the core issues (id_tokens, JWT
access tokens, JARM, introspection and UserInfo responses)."""

from __future__ import annotations

from typing import Any

from authgate.core.ports import Services
from authgate.errors import ServerError


def sign(svc: Services, claims: dict[str, Any], *, typ: str, alg: str) -> str:
    """Sign with the key ring, mapping a missing key to a server error (never a crash).

    Raises:
        ServerError: no active key for ``alg`` (registration only accepts algorithms that
            have one, so this means keys were removed by hand).
    """
    try:
        return svc.keys.sign(claims, typ=typ, alg=alg)
    except LookupError:
        raise ServerError(f"No signing key is available for {alg}") from None
