"""Per-source rate limits at the edge: a pure ASGI middleware in front of the limited endpoints.

Requests to the registration endpoint (registrations, and RFC 7592 client configuration
requests apart), PAR, token, introspection, revocation, device authorization, the device
verification page and the Config API are counted per
source address (:func:`authgate.web.source.source`) by the runtime's
:class:`~authgate.core.rate_limiter.RateLimiter` before their body is read.
Over the limit, the answer is ``429`` with ``Retry-After`` and the OAuth error body
``{"error": "temporarily_unavailable", "error_description": ...}`` (on the device verification
page, which people read, the error page with the same code); the endpoint never runs.
Other paths, and CORS preflights (answered by the CORS middleware outside this one), pass
through after one dictionary lookup.
"""

from __future__ import annotations

import logging

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from authgate import metrics
from authgate.admin import paths as config_api
from authgate.core import endpoints
from authgate.core.rate_limit import Family
from authgate.core.rate_limiter import RateLimiter
from authgate.errors import TooManyRequests
from authgate.web.errors import error_body
from authgate.web.pages import page
from authgate.web.responses import json_response
from authgate.web.source import scope_address

logger = logging.getLogger("authgate.web")

#: The limited endpoints by path; every path under the Config API root is ``CONFIG_API``.
FAMILIES = {
    endpoints.REGISTER: Family.REGISTRATION,
    endpoints.PAR: Family.PAR,
    endpoints.TOKEN: Family.TOKEN,
    endpoints.INTROSPECTION: Family.INTROSPECTION,
    endpoints.REVOKE: Family.REVOCATION,
    endpoints.DEVICE_AUTHORIZATION: Family.DEVICE_AUTHORIZATION,
    endpoints.DEVICE_PAGE: Family.DEVICE_VERIFICATION,
}


def family_of(path: str, method: str) -> Family | None:
    """The limit a ``method`` request to ``path`` counts against, if any."""
    family = FAMILIES.get(path)
    if family is None:
        return Family.CONFIG_API if path.startswith(config_api.ROOT) else None
    if family is Family.REGISTRATION and method != "POST":
        return Family.CLIENT_CONFIGURATION
    return family


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        family = family_of(scope["path"], scope["method"]) if scope["type"] == "http" else None
        if family is None or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        runtime = scope["app"].state.runtime
        limiter: RateLimiter = runtime.rate_limits
        address = scope_address(scope, runtime.settings.trusted_proxy_networks)
        try:
            refusal = await limiter.check(family, address)
        except Exception:  # a fault in the limiter must not take the endpoint down
            logger.exception("rate limit check failed on %s; request let through", scope["path"])
            refusal = None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        logger.debug("%s %s -> 429 (%s)", scope["method"], scope["path"], family)
        metrics.rate_limited(family)
        exc = TooManyRequests(refusal.description, retry_after=refusal.retry_after)
        response: Response
        if family is Family.DEVICE_VERIFICATION:
            response = page(
                "error.html",
                status_code=exc.status_code,
                headers=exc.headers,
                error=exc.error,
                description=exc.description,
            )
        else:
            reason = runtime.services.config.current.errorReasonEnabled
            body = error_body(exc, reason)
            response = json_response(body, exc.status_code, headers=exc.headers)
        await response(scope, receive, send)
