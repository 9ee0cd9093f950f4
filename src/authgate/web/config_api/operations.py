"""Config API handlers for signing keys, login sessions, the audit log and security events."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.views import audit_json, event_json, key_json, rotation_json, session_json
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.request import admin, paging
from authgate.web.responses import json_response


async def list_keys(request: Request) -> Response:
    await authenticate(request, s.KEYS_READ)
    return json_response([key_json(k) for k in await admin(request).keys.list()])


async def rotate_keys(request: Request) -> Response:
    actor = await authenticate(request, s.KEYS_WRITE)
    return json_response(rotation_json(await admin(request).keys.rotate(actor)), 201)


async def list_sessions(request: Request) -> Response:
    await authenticate(request, s.SESSIONS_READ)
    _, limit, offset = paging(request)
    user_id = request.query_params.get("user_id") or None
    found = await admin(request).sessions.list(user_id, limit, offset)
    return json_response([session_json(x) for x in found])


async def revoke_session(request: Request) -> Response:
    actor = await authenticate(request, s.SESSIONS_DELETE)
    await admin(request).sessions.revoke(request.path_params["sid"], actor)
    return Response(status_code=204)


async def list_audit(request: Request) -> Response:
    await authenticate(request, s.AUDIT_READ)
    _, limit, offset = paging(request)
    target_type = request.query_params.get("target_type") or None
    found = await admin(request).audit.list(limit, offset, target_type)
    return json_response([audit_json(r) for r in found])


async def list_events(request: Request) -> Response:
    await authenticate(request, s.EVENTS_READ)
    _, limit, offset = paging(request)
    kind = request.query_params.get("kind") or None
    found = await admin(request).events.list(limit, offset, kind)
    return json_response([event_json(e) for e in found])


def routes() -> list[Route]:
    return [
        Route(paths.KEYS, list_keys, methods=["GET"]),
        Route(paths.KEYS_ROTATE, rotate_keys, methods=["POST"]),
        Route(paths.SESSIONS, list_sessions, methods=["GET"]),
        Route(f"{paths.SESSIONS}/{{sid}}", revoke_session, methods=["DELETE"]),
        Route(paths.AUDIT, list_audit, methods=["GET"]),
        Route(paths.EVENTS, list_events, methods=["GET"]),
    ]
