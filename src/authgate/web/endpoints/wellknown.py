"""Discovery (OIDC Discovery §4, RFC 8414 §3) and the JWKS (RFC 7517)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core import discovery
from authgate.crypto.rotation import JWKS_MAX_AGE
from authgate.web.context import services
from authgate.web.responses import json_response

#: Key rotation publishes a new key at least this long (plus one poll interval) before it
#: signs (authgate.crypto.rotation), so caching for this long never misses a signing key.
PUBLIC_CACHE = {"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"}


async def openid_configuration(request: Request) -> Response:
    svc = services(request)
    doc = discovery.document(
        svc.issuer, svc.config.current, await svc.scopes.all(), svc.keys.algorithms
    )
    return json_response(doc, headers=PUBLIC_CACHE, cache=True)


async def jwks(request: Request) -> Response:
    return json_response(services(request).keys.jwks(), headers=PUBLIC_CACHE, cache=True)
