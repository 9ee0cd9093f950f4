"""POST /jans-auth/restv1/register: dynamic client registration (RFC 7591 §3)."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from authgate.core import registration
from authgate.core.registration_response import client_response
from authgate.errors import InvalidClientMetadata
from authgate.web.context import read_body, services
from authgate.web.responses import json_response


async def register(request: Request) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidClientMetadata("The registration request must be application/json")
    try:
        body = orjson.loads(await read_body(request))
    except orjson.JSONDecodeError:
        raise InvalidClientMetadata("The registration request body is not valid JSON") from None
    svc = services(request)
    result = await registration.register(body, svc)
    return json_response(
        client_response(
            result.client,
            svc.issuer,
            client_secret=result.client_secret,
            registration_access_token=result.registration_access_token,
        ),
        201,
    )
