"""The Config API: thin Starlette handlers over :class:`authgate.admin.service.AdminService`.

Each handler checks the bearer token's scope, parses the request into a typed value, calls one
use case and renders the result. Errors are :class:`authgate.errors.OAuthError` subclasses,
rendered by :mod:`authgate.web.errors` (never a 500 for bad input).
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.errors import UnsupportedMediaType
from authgate.admin.openapi import document
from authgate.admin.schemas import ClientIn
from authgate.admin.views import client_json
from authgate.core.params import check_json
from authgate.errors import InvalidRequest
from authgate.web.config_api.accounts import routes as account_routes
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.directory import routes as directory_routes
from authgate.web.config_api.factors import routes as factor_routes
from authgate.web.config_api.federation import routes as federation_routes
from authgate.web.config_api.initial_tokens import routes as initial_token_routes
from authgate.web.config_api.lockouts import routes as lockout_routes
from authgate.web.config_api.operations import routes as ops_routes
from authgate.web.config_api.request import admin, content_type, json_body, paging
from authgate.web.context import read_body, services
from authgate.web.responses import json_response

# --- configuration -----------------------------------------------------------------------


async def get_config(request: Request) -> Response:
    await authenticate(request, s.PROPERTIES_READ)
    return json_response(await admin(request).config.get())


async def patch_config(request: Request) -> Response:
    actor = await authenticate(request, s.PROPERTIES_WRITE)
    if content_type(request) not in (paths.JSON_PATCH, "application/json"):
        raise UnsupportedMediaType(f"A configuration patch must be {paths.JSON_PATCH}")
    try:
        body = orjson.loads(await read_body(request))
    except orjson.JSONDecodeError:
        raise InvalidRequest("The request body is not valid JSON") from None
    check_json(body)
    result = await admin(request).config.patch(body, actor)
    return json_response(result.document)


# --- clients -----------------------------------------------------------------------------


async def list_clients(request: Request) -> Response:
    await authenticate(request, s.CLIENTS_READ)
    pattern, limit, offset = paging(request)
    found = await admin(request).clients.list(pattern, limit, offset)
    return json_response([client_json(c) for c in found])


async def get_client(request: Request) -> Response:
    await authenticate(request, s.CLIENTS_READ)
    client = await admin(request).clients.get(request.path_params["client_id"])
    return json_response(client_json(client))


async def create_client(request: Request) -> Response:
    actor = await authenticate(request, s.CLIENTS_WRITE)
    body = await json_body(request, ClientIn)
    result = await admin(request).clients.create(body, actor)
    return json_response(client_json(result.client, result.client_secret), 201)


async def update_client(request: Request) -> Response:
    actor = await authenticate(request, s.CLIENTS_WRITE)
    body = await json_body(request, ClientIn)
    cid = request.path_params["client_id"]
    result = await admin(request).clients.update(cid, body, actor)
    return json_response(client_json(result.client, result.client_secret))


async def delete_client(request: Request) -> Response:
    actor = await authenticate(request, s.CLIENTS_DELETE)
    await admin(request).clients.delete(request.path_params["client_id"], actor)
    return Response(status_code=204)


# --- the OpenAPI document --------------------------------------------------------------


async def openapi(request: Request) -> Response:
    """GET the OpenAPI document (public, like discovery)."""
    return json_response(document(services(request).issuer), cache=True)


def routes() -> list[Route]:
    """Every Config API route (the OpenAPI document is checked against this list)."""
    client = f"{paths.CLIENTS}/{{client_id}}"
    return [
        Route(paths.CONFIG, get_config, methods=["GET"]),
        Route(paths.CONFIG, patch_config, methods=["PATCH"]),
        Route(paths.CLIENTS, list_clients, methods=["GET"]),
        Route(paths.CLIENTS, create_client, methods=["POST"]),
        Route(client, get_client, methods=["GET"]),
        Route(client, update_client, methods=["PUT"]),
        Route(client, delete_client, methods=["DELETE"]),
        *directory_routes(),
        *ops_routes(),
        *initial_token_routes(),
        *lockout_routes(),
        *federation_routes(),
        *account_routes(),
        *factor_routes(),
        Route(paths.OPENAPI, openapi, methods=["GET"]),
    ]
