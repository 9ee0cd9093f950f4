"""Config API handlers for scopes and users."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.schemas import PasswordIn, ScopeIn, ScopeUpdate, UserIn, UserUpdate
from authgate.admin.views import scope_json, user_json
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.request import admin, json_body, paging
from authgate.web.responses import json_response


async def list_scopes(request: Request) -> Response:
    await authenticate(request, s.SCOPES_READ)
    pattern, limit, offset = paging(request)
    found = await admin(request).scopes.list(pattern)
    return json_response([scope_json(x) for x in found[offset : offset + limit]])


async def get_scope(request: Request) -> Response:
    await authenticate(request, s.SCOPES_READ)
    return json_response(
        scope_json(await admin(request).scopes.get(request.path_params["scope_id"]))
    )


async def create_scope(request: Request) -> Response:
    actor = await authenticate(request, s.SCOPES_WRITE)
    scope = await admin(request).scopes.create(await json_body(request, ScopeIn), actor)
    return json_response(scope_json(scope), 201)


async def update_scope(request: Request) -> Response:
    actor = await authenticate(request, s.SCOPES_WRITE)
    body = await json_body(request, ScopeUpdate)
    scope = await admin(request).scopes.update(request.path_params["scope_id"], body, actor)
    return json_response(scope_json(scope))


async def delete_scope(request: Request) -> Response:
    actor = await authenticate(request, s.SCOPES_DELETE)
    await admin(request).scopes.delete(request.path_params["scope_id"], actor)
    return Response(status_code=204)


async def list_users(request: Request) -> Response:
    await authenticate(request, s.USERS_READ)
    pattern, limit, offset = paging(request)
    found = await admin(request).users.list(pattern, limit, offset)
    return json_response([user_json(u) for u in found])


async def get_user(request: Request) -> Response:
    await authenticate(request, s.USERS_READ)
    return json_response(user_json(await admin(request).users.get(request.path_params["user_id"])))


async def create_user(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    user = await admin(request).users.create(await json_body(request, UserIn), actor)
    return json_response(user_json(user), 201)


async def update_user(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    body = await json_body(request, UserUpdate)
    user = await admin(request).users.update(request.path_params["user_id"], body, actor)
    return json_response(user_json(user))


async def set_password(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    body = await json_body(request, PasswordIn)
    user = await admin(request).users.set_password(request.path_params["user_id"], body, actor)
    return json_response(user_json(user))


def routes() -> list[Route]:
    scope = f"{paths.SCOPES}/{{scope_id:path}}"
    user = f"{paths.USERS}/{{user_id}}"
    return [
        Route(paths.SCOPES, list_scopes, methods=["GET"]),
        Route(paths.SCOPES, create_scope, methods=["POST"]),
        Route(scope, get_scope, methods=["GET"]),
        Route(scope, update_scope, methods=["PUT"]),
        Route(scope, delete_scope, methods=["DELETE"]),
        Route(paths.USERS, list_users, methods=["GET"]),
        Route(paths.USERS, create_user, methods=["POST"]),
        Route(f"{user}/password", set_password, methods=["POST"]),
        Route(user, get_user, methods=["GET"]),
        Route(user, update_user, methods=["PATCH"]),
    ]
