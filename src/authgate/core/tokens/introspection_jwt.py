"""JWT-secured introspection responses (RFC 9701).

A caller that sends ``Accept: application/token-introspection+jwt`` gets the introspection
response as a JWT signed with the server's key (§5): header ``typ:
token-introspection+jwt``; claims ``iss`` (the issuer), ``aud`` (the calling client),
``iat`` and ``token_introspection``, the RFC 7662 response itself (``{"active": false}`` for
an inactive or foreign token). The algorithm is the client's
``introspection_signed_response_alg`` if it registered one, else the server's
``defaultSignatureAlgorithm``, else the first of ``introspectionSigningAlgValuesSupported``
with an active key. With none usable, the answer is plain JSON. A client registered with
``introspection_encrypted_response_alg`` gets the JWT encrypted to its key (§5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.core.ports import Services
from authgate.core.tokens import encryption
from authgate.core.tokens.signing import sign
from authgate.core.types import Client

MEDIA_TYPE = "application/token-introspection+jwt"
TYP = "token-introspection+jwt"


def wants_jwt(accept: str | None) -> bool:
    """Whether the ``Accept`` header asks for a JWT response (RFC 9701 §4)."""
    if not accept:
        return False
    return any(part.split(";")[0].strip().lower() == MEDIA_TYPE for part in accept.split(","))


def response_alg(client: Client, svc: Services) -> str | None:
    """The algorithm to sign ``client``'s introspection responses with, or None."""
    config = svc.config.current
    supported = [
        a for a in config.introspectionSigningAlgValuesSupported if a in svc.keys.algorithms
    ]
    wanted = client.metadata.introspection_signed_response_alg
    if wanted is not None:
        return wanted if wanted in supported else None
    if config.defaultSignatureAlgorithm in supported:
        return config.defaultSignatureAlgorithm
    return supported[0] if supported else None


async def jwt_response(body: Mapping[str, Any], client: Client, alg: str, svc: Services) -> str:
    """The introspection response ``body`` for ``client`` as a signed JWT (RFC 9701 §5),
    then encrypted if the client registered ``introspection_encrypted_response_alg``.

    Raises:
        ServerError: no key for ``alg`` (removed since :func:`response_alg` chose it).
        InvalidRequest: the client asked for encryption and its key cannot be had.
    """
    sealer = await encryption.sealer_for(client, svc, "introspection")
    claims = {
        "iss": svc.issuer,
        "aud": client.client_id,
        "iat": int(svc.clock.now()),
        "token_introspection": dict(body),
    }
    signed = sign(svc, claims, typ=TYP, alg=alg)
    return sealer.seal(signed, nested=True) if sealer else signed
