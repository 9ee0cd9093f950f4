"""POST /jans-auth/restv1/introspection: token introspection (RFC 7662 §2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.tokens.introspection import introspect
from authgate.web.context import authorization, form, services
from authgate.web.responses import json_response
from authgate.web.source import source


async def introspection(request: Request) -> Response:
    body = await introspect(
        await form(request),
        authorization(request),
        services(request),
        source=source(request),
    )
    return json_response(body)
