"""private_key_jwt client authentication (RFC 7523 §2.2, §3; OIDC Core §9).

The client sends ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``
and ``client_assertion``, a JWT it signed with a key from its registered ``jwks`` or
``jwks_uri``. Checks, in order: ``iss`` = ``sub`` = the client; the client is registered for
private_key_jwt; ``alg`` is asymmetric, allowed by the server and equal to the client's
``token_endpoint_auth_signing_alg`` if it registered one; the signature (a ``kid`` not in
the cached ``jwks_uri`` set triggers one refetch); ``aud`` names the issuer, the token
endpoint or the endpoint called; ``exp`` present, not past and at most
:data:`MAX_LIFETIME` seconds ahead; ``nbf``/``iat`` not in the future; ``jti`` present and
never seen before for this client. Every failure is ``invalid_client`` (RFC 7521 §4.2.1).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Mapping
from typing import Any

from authgate.core.clients import signatures
from authgate.core.endpoints import TOKEN, EndpointUrls
from authgate.core.params import has_control
from authgate.core.ports import Services
from authgate.core.types import Client
from authgate.crypto import client_keys
from authgate.errors import InvalidClient, InvalidRequest

logger = logging.getLogger(__name__)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
METHOD = "private_key_jwt"
#: How far in the future an assertion's ``exp`` may be (bounds the jti store).
MAX_LIFETIME = 600
#: Tolerated clock difference with the client, in seconds.
LEEWAY = 30


def claimed_client_id(form: Mapping[str, str]) -> tuple[str, str]:
    """The assertion and the client it claims to come from (not yet verified).

    Raises:
        InvalidRequest: only one of the two parameters was sent.
        InvalidClient: unknown assertion type, not a JWT, or ``iss`` differs from ``sub``.
    """
    assertion_type = form.get("client_assertion_type")
    assertion = form.get("client_assertion")
    if not assertion_type or not assertion:
        raise InvalidRequest("client_assertion and client_assertion_type must be sent together")
    if assertion_type != ASSERTION_TYPE:
        raise InvalidClient(f"client_assertion_type must be {ASSERTION_TYPE}")
    try:
        _header, claims = client_keys.peek(assertion)
    except client_keys.UnusableKeys as exc:
        raise InvalidClient(f"Client authentication failed: {exc}") from None
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss or iss != sub or has_control(iss):
        raise InvalidClient(
            "Client authentication failed: the assertion's iss and sub must both be the client_id"
        )
    if "client_id" in form and form["client_id"] != iss:
        raise InvalidClient("Client authentication failed: client_id differs from the assertion")
    return assertion, iss


async def verify(assertion: str, client: Client, svc: Services, endpoint: str = TOKEN) -> None:
    """Check the assertion of ``client`` (already looked up by its claimed ``iss``).

    Raises:
        InvalidClient: any check failed.
    """
    header, claims = client_keys.peek(assertion)
    alg = header.get("alg")
    kid = header.get("kid")
    if not isinstance(alg, str) or alg not in _allowed_algs(client, svc):
        raise InvalidClient(f"Client authentication failed: assertion alg '{alg}' is not allowed")
    if kid is not None and not isinstance(kid, str):
        raise InvalidClient("Client authentication failed: kid must be a string")
    if not await _signed_by_client(assertion, client, alg, kid, svc):
        raise InvalidClient("Client authentication failed: the assertion signature is invalid")
    _check_audience(claims.get("aud"), svc.issuer, endpoint)
    now = svc.clock.now()
    expires = _check_times(claims, now)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise InvalidClient("Client authentication failed: the assertion has no jti")
    key = hashlib.sha256(f"{client.client_id}\0{jti}".encode()).hexdigest()
    if not await svc.assertions.remember(key, expires + LEEWAY, now):
        raise InvalidClient("Client authentication failed: the assertion was already used")


def _allowed_algs(client: Client, svc: Services) -> list[str]:
    allowed = svc.config.current.tokenEndpointAuthSigningAlgValuesSupported
    wanted = client.metadata.token_endpoint_auth_signing_alg
    if wanted is None:
        return list(allowed)
    return [wanted] if wanted in allowed else []


async def _signed_by_client(
    assertion: str, client: Client, alg: str, kid: str | None, svc: Services
) -> bool:
    try:
        return await signatures.signed_by_client(assertion, client, alg, kid, svc)
    except signatures.KeysUnavailable as exc:
        raise InvalidClient(_NO_KEYS[exc.reason].format(detail=exc.detail)) from None


_NO_KEYS = {
    signatures.Unavailable.UNREACHABLE: (
        "Client authentication failed: the client's jwks_uri could not be read"
    ),
    signatures.Unavailable.NONE: "Client authentication failed: the client has no registered keys",
    signatures.Unavailable.UNUSABLE: "Client authentication failed: {detail}",
}


def _check_audience(aud: Any, issuer: str, endpoint: str) -> None:
    urls = EndpointUrls(issuer)
    accepted = {issuer, urls.token_endpoint, urls.url(endpoint)}
    values = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(v, str) and v in accepted for v in values):
        raise InvalidClient(
            "Client authentication failed: the assertion's aud must be the issuer or the "
            "token endpoint URL"
        )


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidClient(f"Client authentication failed: {name} must be a number")
    return float(value)


def _check_times(claims: Mapping[str, Any], now: float) -> float:
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidClient("Client authentication failed: the assertion has no exp")
    if now >= exp + LEEWAY:
        raise InvalidClient("Client authentication failed: the assertion has expired")
    if exp > now + MAX_LIFETIME + LEEWAY:
        raise InvalidClient(
            f"Client authentication failed: the assertion's exp is more than {MAX_LIFETIME} s ahead"
        )
    for name in ("nbf", "iat"):
        value = _number(claims, name)
        if value is not None and value > now + LEEWAY:
            raise InvalidClient(f"Client authentication failed: the assertion's {name} is ahead")
    return exp
