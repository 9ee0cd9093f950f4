"""JWT-secured authorization responses: the JARM response modes (JWT Secured Authorization
Response Mode for OAuth 2.0, "JARM").

A client asks for one with ``response_mode``: ``query.jwt``, ``fragment.jwt``,
``form_post.jwt``, or ``jwt``, which means ``query.jwt`` for ``response_type=code`` and
``fragment.jwt`` for response types that return tokens (JARM §2.3.4). Instead of its
parameters the response then carries one, ``response``: a JWT signed with the client's
``authorization_signed_response_alg`` (RS256 unless it registered another, JARM §3) whose
claims are ``iss``, ``aud`` (the client), ``exp`` and every parameter of the success or
error response (JARM §2.1, §2.2). ``iss`` is that claim only: no ``iss`` parameter is added
beside the JWT (RFC 9207 §2.4 leaves it to the JWT).

A client registered with ``authorization_encrypted_response_alg`` gets the signed JWT
encrypted to its own key (JARM §2.2, :mod:`authgate.core.tokens.encryption`). ``query.jwt``
carries only responses without tokens, encrypted or not (JARM §2.3.1 allows tokens there
only when encrypted; authgate keeps tokens out of URLs' query). See
docs/authorization-responses.md.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from authgate.core.ports import Services
from authgate.core.tokens.encryption import Sealer
from authgate.core.tokens.signing import sign

#: The response modes of JARM §2.3, the shortcut ``jwt`` last.
JWT_MODES = ("query.jwt", "fragment.jwt", "form_post.jwt", "jwt")
SUFFIX = ".jwt"
#: The algorithm of a client that registered none (JARM §3).
DEFAULT_ALG = "RS256"
#: Lifetime of a response JWT, in seconds: JARM §2.1 recommends at most ten minutes, and the
#: client reads the response as soon as the browser delivers it.
LIFETIME = 600


@dataclass(frozen=True, slots=True)
class ResponseSigning:
    """Who a JWT response is for, the algorithm it is signed with and, if the client asked
    for that, how it is then encrypted."""

    audience: str
    alg: str = DEFAULT_ALG
    sealer: Sealer | None = None


def is_jwt(mode: str) -> bool:
    """Whether ``mode`` (as requested or resolved) is one of JARM's."""
    return mode == "jwt" or mode.endswith(SUFFIX)


def resolve(mode: str, returns_tokens: bool) -> str:
    """``jwt`` spelled out for the response type: ``fragment.jwt`` if the response carries
    tokens, else ``query.jwt`` (JARM §2.3.4); other modes unchanged."""
    if mode != "jwt":
        return mode
    return "fragment.jwt" if returns_tokens else "query.jwt"


def carrier(mode: str) -> str:
    """How a resolved JWT mode travels: ``query``, ``fragment`` or ``form_post``."""
    return mode.removesuffix(SUFFIX)


def signing_for(
    mode: str,
    audience: str,
    registered_alg: str | None,
    encryption: Mapping[str, Any] | None = None,
) -> ResponseSigning | None:
    """How to sign a response in ``mode`` for the client ``audience`` that registered
    ``registered_alg`` (None: RS256), or None if ``mode`` is not a JWT mode. ``encryption``:
    the client's encryption found when the request was validated (``Sealer.to_json``)."""
    if not is_jwt(mode):
        return None
    sealer = Sealer.from_json(encryption) if encryption is not None else None
    return ResponseSigning(audience, registered_alg or DEFAULT_ALG, sealer)


def response_params(
    params: Mapping[str, str], signing: ResponseSigning, svc: Services
) -> dict[str, str]:
    """The parameters to deliver in place of ``params``: ``response``, the signed JWT.

    Raises:
        ServerError: no active signing key for the client's algorithm.
    """
    now = int(svc.clock.now())
    claims: dict[str, object] = {
        **params,
        "iss": svc.issuer,
        "aud": signing.audience,
        "exp": now + LIFETIME,
    }
    signed = sign(svc, claims, typ="jwt", alg=signing.alg)
    if signing.sealer is not None:
        return {"response": signing.sealer.seal(signed, nested=True)}
    return {"response": signed}


def supported_algs(configured: Collection[str], signing_algs: Collection[str]) -> list[str]:
    """Configured algorithms that have an active key, in the configuration's order."""
    return [a for a in configured if a in signing_algs]
