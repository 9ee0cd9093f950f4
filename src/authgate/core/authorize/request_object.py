"""Request objects (RFC 9101, OIDC Core §6): authorization request parameters in a JWT the
client signed, sent by value (``request``) or by reference (``request_uri``).

At the authorization endpoint and at PAR, :func:`unpack` turns a request carrying a request
object into plain parameters: it fetches the object of a ``request_uri`` (through
``svc.request_objects``, under the outbound policy), verifies it with the client's registered
keys (``jwks`` or ``jwks_uri``) and merges it over the other parameters, the object's
members winning (RFC 9101 §6.3; OIDC Core §6.3.3). PAR's own ``urn:ietf:params:oauth:
request_uri:`` values are not request objects and are left to
:mod:`authgate.core.authorize.request_uri`.

Checks, in order (every failure an error page or, at PAR, a JSON error; never a redirect,
since the redirect URI is not trusted yet): the feature is enabled (``request_not_supported``,
``request_uri_not_supported``); ``request`` and ``request_uri`` are not both sent; the
``request_uri`` is https (or http on a loopback host) and can be fetched
(``invalid_request_uri``); the object is a compact JWS (no encryption); its ``alg`` is one the
server accepts and the client registered; its signature verifies with the client's keys;
``iss`` is the client, ``aud`` names the issuer, ``exp`` is present and not past, ``nbf`` and
``iat`` not ahead, the lifetime at most ``requestObjectLifetimeMax``; its ``client_id`` and
``response_type`` equal the query's; its ``jti``, if any, was never seen from this client.
``alg: none`` is accepted only if the client registered ``request_object_signing_alg: none``,
the configuration allows it (``requestObjectNoneAlgAllowed``) and no signed object is
required.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authgate.appconfig import AppConfiguration
from authgate.core.authorize.redirect_uris import LOOPBACK_HOSTS
from authgate.core.authorize.request_uri import REQUEST_URI_PREFIX
from authgate.core.clients import signatures
from authgate.core.params import has_control, printable
from authgate.core.ports import Services
from authgate.core.types import Client
from authgate.crypto import client_keys
from authgate.errors import (
    InvalidRequest,
    InvalidRequestObject,
    InvalidRequestUri,
    OutboundError,
    RequestNotSupported,
    RequestUriNotSupported,
)

logger = logging.getLogger(__name__)

NONE_ALG = "none"
#: Tolerated clock difference with the client, in seconds.
LEEWAY = 30
#: JWT claims that describe the object itself, not the authorization request.
JWT_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti", "sub"})
#: Members whose value is JSON in the parameter form (OIDC Core §5.5, RFC 9396 §3).
JSON_MEMBERS = frozenset({"claims", "authorization_details"})
#: Longest request object accepted by value (the whole query is limited anyway).
MAX_REQUEST_LENGTH = 32 * 1024


@dataclass(frozen=True, slots=True)
class Unpacked:
    """The request's parameters once the request object (if any) is merged in.

    Attributes:
        params: The parameters to validate.
        signed: They came in a request object whose signature verified.
    """

    params: dict[str, str]
    signed: bool = False


def carries_object(params: Mapping[str, str]) -> bool:
    """Whether the request carries a request object (by value or by reference)."""
    uri = params.get("request_uri")
    return "request" in params or (uri is not None and not uri.startswith(REQUEST_URI_PREFIX))


def signed_required(client: Client, config: AppConfiguration) -> bool:
    """Whether the client's requests must be signed request objects (RFC 9101 §10.5)."""
    return config.requireSignedRequestObject or client.metadata.require_signed_request_object


async def unpack(params: Mapping[str, str], client: Client, svc: Services) -> Unpacked:
    """Verify the request object of ``params`` (sent by ``client``) and merge it in.

    Raises:
        RequestNotSupported, RequestUriNotSupported: the feature is off.
        InvalidRequest: both ``request`` and ``request_uri``.
        InvalidRequestUri: the ``request_uri`` cannot be used or fetched.
        InvalidRequestObject: any check of the object failed.
    """
    if not carries_object(params):
        return Unpacked(dict(params))
    config = svc.config.current
    if "request" in params and "request_uri" in params:
        raise InvalidRequest("request and request_uri must not both be sent (RFC 9101 §5)")
    if "request" in params:
        if not config.requestParameterSupported:
            raise RequestNotSupported("This server does not accept the request parameter")
        token = params["request"]
    else:
        if not config.requestUriParameterSupported:
            raise RequestUriNotSupported("This server does not accept request_uri values")
        token = await _fetch(params["request_uri"], svc)
    claims, signed = await _verify(token, client, svc)
    _check_consistency(claims, params, client)
    await _check_replay(claims, client, svc)
    return Unpacked(_merge(params, claims, client), signed)


def _check_request_uri(uri: str) -> None:
    try:
        parts = urlsplit(uri)
        _ = parts.port
    except ValueError:
        raise InvalidRequestUri("The request_uri cannot be parsed") from None
    host = (parts.hostname or "").lower()
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)
    if not host or not secure or has_control(uri) or parts.username or parts.password:
        raise InvalidRequestUri(
            "The request_uri must be an https URL (http only on a loopback host) without "
            "user information"
        )


async def _fetch(uri: str, svc: Services) -> str:
    _check_request_uri(uri)
    # a fragment is the client's cache buster (OIDC Core §6.2), never sent to its server
    uri = uri.partition("#")[0]
    try:
        return await svc.request_objects.fetch(uri, max_bytes=svc.config.current.requestUriMaxBytes)
    except OutboundError as exc:
        # the detail stays in the log: echoing what the server saw at a URL the requester
        # chose would make request_uri a probing tool
        logger.info("request_uri unusable: %s", exc)
        raise InvalidRequestUri(
            "The request object could not be fetched from request_uri"
        ) from None


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if len(token) > MAX_REQUEST_LENGTH or not token.isascii():
        raise InvalidRequestObject("The request object is not a compact JWT of usable size")
    if token.count(".") == 4:
        raise InvalidRequestObject("Encrypted request objects are not supported")
    try:
        return client_keys.peek(token)
    except client_keys.UnusableKeys:
        raise InvalidRequestObject("The request object is not a signed JWT (RFC 9101 §4)") from None


async def _verify(token: str, client: Client, svc: Services) -> tuple[dict[str, Any], bool]:
    header, claims = _peek(token)
    alg = header.get("alg")
    config = svc.config.current
    registered = client.metadata.request_object_signing_alg
    if alg == NONE_ALG:
        _check_unsigned(token, client, config)
        signed = False
    else:
        if not isinstance(alg, str) or alg not in config.requestObjectSigningAlgValuesSupported:
            raise InvalidRequestObject(
                f"The request object's alg is not one of "
                f"{config.requestObjectSigningAlgValuesSupported}"
            )
        if registered is not None and alg != registered:
            raise InvalidRequestObject(
                f"The client registered request_object_signing_alg {registered}: the request "
                "object must be signed with it"
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidRequestObject("The request object's kid must be a string")
        if not await _signed_by_client(token, client, alg, kid, svc):
            raise InvalidRequestObject("The request object's signature is invalid")
        signed = True
    _check_issuer_audience(claims, client, svc.issuer, signed=signed)
    _check_times(claims, svc.clock.now(), config.requestObjectLifetimeMax)
    return claims, signed


def _check_unsigned(token: str, client: Client, config: AppConfiguration) -> None:
    allowed = (
        config.requestObjectNoneAlgAllowed
        and client.metadata.request_object_signing_alg == NONE_ALG
        and not signed_required(client, config)
    )
    if not allowed:
        raise InvalidRequestObject("Unsigned request objects (alg none) are not accepted")
    if not token.endswith("."):
        raise InvalidRequestObject("An unsigned request object must have an empty signature")


async def _signed_by_client(
    token: str, client: Client, alg: str, kid: str | None, svc: Services
) -> bool:
    try:
        return await signatures.signed_by_client(token, client, alg, kid, svc)
    except signatures.KeysUnavailable as exc:
        raise InvalidRequestObject(_NO_KEYS[exc.reason].format(detail=exc.detail)) from None


_NO_KEYS = {
    signatures.Unavailable.UNREACHABLE: (
        "The client's jwks_uri could not be read to verify the request object"
    ),
    signatures.Unavailable.NONE: (
        "The client has no registered keys (jwks or jwks_uri) to verify request objects"
    ),
    signatures.Unavailable.UNUSABLE: "The client's keys cannot be used: {detail}",
}


def _check_issuer_audience(
    claims: Mapping[str, Any], client: Client, issuer: str, *, signed: bool
) -> None:
    iss = claims.get("iss")
    if (signed or iss is not None) and iss != client.client_id:
        raise InvalidRequestObject("The request object's iss must be the client_id")
    aud = claims.get("aud")
    if aud is None and not signed:
        return
    values = aud if isinstance(aud, list) else [aud]
    if issuer not in values:
        raise InvalidRequestObject("The request object's aud must be the issuer")


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRequestObject(f"The request object's {name} must be a number")
    return float(value)


def _check_times(claims: Mapping[str, Any], now: float, lifetime_max: int) -> None:
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidRequestObject("The request object has no exp")
    if now >= exp + LEEWAY:
        raise InvalidRequestObject("The request object has expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + LEEWAY:
        raise InvalidRequestObject("The request object is not valid yet (nbf)")
    iat = _number(claims, "iat")
    if iat is not None and iat > now + LEEWAY:
        raise InvalidRequestObject("The request object's iat is in the future")
    start = nbf if nbf is not None else min(now, iat) if iat is not None else now
    if exp - start > lifetime_max + LEEWAY:
        raise InvalidRequestObject(
            f"The request object's lifetime is longer than {lifetime_max} seconds"
        )


def _check_consistency(
    claims: Mapping[str, Any], params: Mapping[str, str], client: Client
) -> None:
    if "request" in claims or "request_uri" in claims:
        raise InvalidRequestObject(
            "A request object must not contain request or request_uri (RFC 9101 §4)"
        )
    inner = claims.get("client_id")
    if inner is not None and inner != client.client_id:
        raise InvalidRequestObject("The request object's client_id differs from the request's")
    outer_type, inner_type = params.get("response_type"), claims.get("response_type")
    if outer_type is not None and inner_type is not None and outer_type != inner_type:
        raise InvalidRequestObject(
            "The request object's response_type differs from the request's (OIDC Core §6.1)"
        )


async def _check_replay(claims: Mapping[str, Any], client: Client, svc: Services) -> None:
    jti = claims.get("jti")
    if jti is None:
        return
    if not isinstance(jti, str) or not jti:
        raise InvalidRequestObject("The request object's jti must be a non-empty string")
    exp = _number(claims, "exp") or svc.clock.now()
    key = hashlib.sha256(f"request_object\0{client.client_id}\0{jti}".encode()).hexdigest()
    now = svc.clock.now()
    if not await svc.assertions.remember(key, exp + LEEWAY, now):
        raise InvalidRequestObject("The request object was already used (jti)")


def _as_parameter(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if name in JSON_MEMBERS or isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    raise InvalidRequestObject(
        f"The request object's member {printable(name)} has an unusable type"
    )


def _merge(params: Mapping[str, str], claims: Mapping[str, Any], client: Client) -> dict[str, str]:
    """The query's parameters overlaid with the object's (RFC 9101 §6.3: the object wins)."""
    merged = {k: v for k, v in params.items() if k not in ("request", "request_uri")}
    for name, value in claims.items():
        if name in JWT_CLAIMS or value is None:
            continue
        if not isinstance(name, str) or has_control(name):
            raise InvalidRequestObject("The request object has a member name that is not text")
        text = _as_parameter(name, value)
        if name not in JSON_MEMBERS and has_control(text):
            raise InvalidRequestObject(
                f"The request object's {printable(name)} has a control character"
            )
        merged[name] = text
    merged["client_id"] = client.client_id
    return merged
