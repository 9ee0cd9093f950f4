"""POST /jans-auth/restv1/token (RFC 6749 §3.2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.token import token as token_request
from authgate.web.context import form, services
from authgate.web.responses import json_response


async def token(request: Request) -> Response:
    body = await token_request(
        await form(request), request.headers.get("authorization"), services(request)
    )
    return json_response(body)
