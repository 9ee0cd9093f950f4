"""/jans-auth/restv1/register: dynamic client registration (RFC 7591 §3, ``POST``) and the
client configuration endpoint (RFC 7592 §2, ``GET``/``PUT``/``DELETE ?client_id=``)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from authgate.core.registration import endpoint as registration
from authgate.core.registration import management as client_management
from authgate.core.registration import policy
from authgate.core.registration.response import client_response
from authgate.errors import InvalidClientMetadata
from authgate.web.context import authorization, query, read_body, services
from authgate.web.responses import NO_STORE, json_response
from authgate.web.source import source


async def _json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidClientMetadata("The registration request must be application/json")
    try:
        return orjson.loads(await read_body(request))
    except orjson.JSONDecodeError:
        raise InvalidClientMetadata("The registration request body is not valid JSON") from None


def _bearer(request: Request) -> str | None:
    header = authorization(request) or ""
    if header[:7].lower() != "bearer ":
        return None
    return header[7:].strip() or None


async def register(request: Request) -> Response:
    """RFC 7591 §3: the initial access token (when the policy wants one) is checked before
    the body is read."""
    svc = services(request)
    token = _bearer(request)
    await policy.admit(token, svc)
    body = await _json_body(request)
    result = await registration.register(
        body, svc, initial_access_token=token, source=source(request)
    )
    return json_response(
        client_response(
            result.client,
            svc.issuer,
            client_secret=result.client_secret,
            registration_access_token=result.registration_access_token,
        ),
        201,
    )


async def client_configuration(request: Request) -> Response:
    """RFC 7592: the registration access token authenticates before the body is read."""
    svc = services(request)
    token = _bearer(request)
    client = await client_management.configured_client(
        query(request).get("client_id"), token, svc, source=source(request)
    )
    if request.method == "DELETE":
        await client_management.delete(client, svc, source=source(request))
        return Response(status_code=204, headers=NO_STORE)
    if request.method == "PUT":
        updated = await client_management.update(client, await _json_body(request), svc)
        client, token = updated.client, updated.registration_access_token
    return json_response(client_response(client, svc.issuer, registration_access_token=token))
