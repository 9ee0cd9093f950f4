"""Config API handlers for brute-force protection: list counters, clear throttles and
lockouts (docs/security.md, "Brute-force protection")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.lockout_service import LockoutSelector
from authgate.admin.views import cleared_json, lockout_json
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.request import admin, paging
from authgate.web.responses import json_response


async def list_lockouts(request: Request) -> Response:
    await authenticate(request, s.LOCKOUTS_READ)
    _, limit, offset = paging(request)
    family = request.query_params.get("family") or None
    found = await admin(request).lockouts.list(family, limit, offset)
    return json_response([lockout_json(x) for x in found])


async def clear_lockouts(request: Request) -> Response:
    """DELETE with ``username``, ``client_id`` and/or ``source`` in the query."""
    actor = await authenticate(request, s.LOCKOUTS_DELETE)
    q = request.query_params
    selector = LockoutSelector(
        username=q.get("username") or None,
        client_id=q.get("client_id") or None,
        source=q.get("source") or None,
    )
    return json_response(cleared_json(await admin(request).lockouts.clear(selector, actor)))


async def clear_lockout(request: Request) -> Response:
    actor = await authenticate(request, s.LOCKOUTS_DELETE)
    selector = LockoutSelector(id=request.path_params["id"])
    return json_response(cleared_json(await admin(request).lockouts.clear(selector, actor)))


def routes() -> list[Route]:
    return [
        Route(paths.LOCKOUTS, list_lockouts, methods=["GET"]),
        Route(paths.LOCKOUTS, clear_lockouts, methods=["DELETE"]),
        Route(f"{paths.LOCKOUTS}/{{id}}", clear_lockout, methods=["DELETE"]),
    ]
