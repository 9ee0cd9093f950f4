"""CORS for the back-channel endpoints (Fetch standard, "CORS protocol"; RFC 9700 §2.6).

A pure ASGI middleware. Requests to other paths, and requests without an ``Origin`` header to
client-bound endpoints, pass through untouched, so server-to-server traffic pays one dict
lookup. Preflights are answered here; actual responses get their headers when they start,
once the endpoint has said which client the request is for (``context.bind_client``; the
form's ``client_id`` does it automatically). The client comes from the client store's cache,
and its origin set was computed when it was loaded (``ClientMetadata.origins``).

Every response of a client-bound endpoint varies by ``Origin``; refused origins get no CORS
headers at all, so the browser keeps the response from the page.

Error answers (status 400 and above) follow one more rule (:meth:`CorsPolicy.allow_error`): an
origin that any client registered reads them too, whichever client the request named, if any.
That is how a page reads the ``401`` and ``WWW-Authenticate`` of a revoked or expired token
(no client is known once the token is gone), an unknown client's ``invalid_client``, a ``429``
or a ``413`` refused before the body named a client. Whether an origin is registered is one
indexed lookup (``ClientStore.origin_registered``), remembered for
:data:`REGISTERED_TTL` seconds.

The middleware sits outside Starlette's server-error handling and the request limits
(:mod:`authgate.web.app`), so every answer of a CORS endpoint passes through it, a ``500``
included.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate.appconfig import AppConfiguration
from authgate.core.origins import parse_origin
from authgate.core.ports import Services
from authgate.web.context import CORS_CLIENT
from authgate.web.cors_policy import CORS_ENDPOINTS, Allowance, CorsKind, CorsPolicy

logger = logging.getLogger(__name__)
_CONTROL = re.compile("[\x00-\x1f\x7f]")
PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
#: Seconds an answer of ``origin_registered`` is reused (as long as a client stays cached).
REGISTERED_TTL = 2.0
#: Origins remembered at most; past that the memory starts over (any origin can be sent).
REGISTERED_MAX = 10_000


@dataclass(frozen=True, slots=True)
class CorsEndpoint:
    kind: CorsKind
    methods: frozenset[str]


def cors_endpoints(routed: Mapping[str, frozenset[str]]) -> dict[str, CorsEndpoint]:
    """The CORS endpoints among the routed paths (path -> methods the route accepts)."""
    return {
        path: CorsEndpoint(kind, routed[path])
        for path, kind in CORS_ENDPOINTS.items()
        if path in routed
    }


def _basic_client_id(authorization: str | None) -> str | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, _secret = decoded.partition(":")
    if not sep:
        return None
    client_id = unquote(client_id.replace("+", " "))
    # no client_id holds a control character, and PostgreSQL refuses NUL in a query (a 500)
    return None if _CONTROL.search(client_id) else client_id


def _apply(headers: MutableHeaders, allowance: Allowance) -> None:
    headers["Access-Control-Allow-Origin"] = allowance.origin
    if allowance.credentials:
        headers["Access-Control-Allow-Credentials"] = "true"


class CorsMiddleware:
    def __init__(self, app: ASGIApp, endpoints: Mapping[str, CorsEndpoint]) -> None:
        self.app = app
        self.endpoints = dict(endpoints)
        self._compiled: tuple[AppConfiguration, CorsPolicy] | None = None
        self._registered: dict[str, tuple[float, bool]] = {}

    def _policy(self, config: AppConfiguration) -> CorsPolicy:
        compiled = self._compiled
        if compiled is None or compiled[0] is not config:
            compiled = (config, CorsPolicy.from_filters(config.corsConfigurationFilters))
            self._compiled = compiled
        return compiled[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        raw_origin = request_headers.get("origin")
        if raw_origin is None and endpoint.kind is CorsKind.CLIENT:
            await self.app(scope, receive, send)
            return
        svc: Services = scope["app"].state.runtime.services
        policy = self._policy(svc.config.current)
        origin = parse_origin(raw_origin) if raw_origin is not None else None
        wanted = request_headers.get("access-control-request-method")
        if scope["method"] == "OPTIONS" and wanted is not None and raw_origin is not None:
            await self._preflight(origin, wanted, request_headers, endpoint, policy, send)
            return
        state: dict[str, object] = scope.setdefault("state", {})

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if endpoint.kind is CorsKind.CLIENT:
                    headers.add_vary_header("Origin")
                allowance = await self._actual(
                    origin, endpoint, policy, state, svc, scope, message["status"]
                )
                if allowance is not None:
                    _apply(headers, allowance)
                    if policy.exposed:
                        headers["Access-Control-Expose-Headers"] = policy.exposed
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _actual(
        self,
        origin: str | None,
        endpoint: CorsEndpoint,
        policy: CorsPolicy,
        state: Mapping[str, object],
        svc: Services,
        scope: Scope,
        status: int,
    ) -> Allowance | None:
        if endpoint.kind is CorsKind.PUBLIC:
            return policy.allow(origin or "", endpoint.kind, frozenset())
        if origin is None:
            return None
        client_id = state.get(CORS_CLIENT)
        if not isinstance(client_id, str):
            client_id = _basic_client_id(Headers(scope=scope).get("authorization"))
        try:
            client = await svc.clients.get(client_id) if client_id else None
        except Exception:  # the answer (likely a 500 for the same fault) must still go out
            logger.exception("CORS: could not load the client of a request")
            client = None
        origins = client.metadata.origins if client is not None else frozenset()
        allowance = policy.allow(origin, endpoint.kind, origins)
        if allowance is None and status >= 400:
            allowance = policy.allow_error(origin, await self._is_registered(origin, svc))
        if allowance is None and policy.log:
            logger.info(
                "CORS refused origin %s on %s (client %s)", origin, scope["path"], client_id
            )
        return allowance

    async def _is_registered(self, origin: str, svc: Services) -> bool:
        """Whether some client registered ``origin``; a store failure counts as no."""
        now = time.monotonic()
        hit = self._registered.get(origin)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            registered = await svc.clients.origin_registered(origin)
        except Exception:  # an error answer must still go out, only without CORS
            logger.exception("CORS: could not look up origin %s", origin)
            return False
        if len(self._registered) >= REGISTERED_MAX:
            self._registered.clear()
        self._registered[origin] = (now + REGISTERED_TTL, registered)
        return registered

    async def _preflight(
        self,
        origin: str | None,
        method: str,
        request_headers: Headers,
        endpoint: CorsEndpoint,
        policy: CorsPolicy,
        send: Send,
    ) -> None:
        asked = [
            h.strip()
            for h in request_headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        ]
        allowance = None
        if origin is not None and method.upper() in endpoint.methods:
            allowance = policy.allow_preflight(origin, endpoint.kind, method, asked)
        headers = MutableHeaders()
        headers["Vary"] = PREFLIGHT_VARY
        headers["Content-Length"] = "0"
        if allowance is not None:
            _apply(headers, allowance)
            allowed = sorted((endpoint.methods | {"OPTIONS"}) & policy.methods)
            headers["Access-Control-Allow-Methods"] = ", ".join(allowed)
            if asked:
                headers["Access-Control-Allow-Headers"] = ", ".join(asked)
            headers["Access-Control-Max-Age"] = str(policy.max_age)
        elif policy.log:
            logger.info("CORS preflight refused for origin %s", origin)
        await send({"type": "http.response.start", "status": 204, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
