"""POST /jans-auth/restv1/par: pushed authorization requests (RFC 9126 §2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.authorize.par import push
from authgate.web.context import authorization, dpop_header, form, services
from authgate.web.responses import json_response
from authgate.web.source import source


async def par(request: Request) -> Response:
    body = await push(
        await form(request),
        authorization(request),
        services(request),
        dpop_proof=dpop_header(request),
        source=source(request),
    )
    return json_response(body, 201)
