"""POST /jans-auth/restv1/device_authorization (RFC 8628 §3.1-3.2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.device.authorization import device_authorization as core_device_authorization
from authgate.web.context import authorization, form, services
from authgate.web.responses import json_response
from authgate.web.source import source


async def device_authorization(request: Request) -> Response:
    body = await core_device_authorization(
        await form(request), authorization(request), services(request), source=source(request)
    )
    return json_response(body)
