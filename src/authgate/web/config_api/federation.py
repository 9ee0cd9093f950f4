"""Config API handlers for upstream identity providers and federated identities (authgate
extension; docs/federation.md). The client secret is write-only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.federation_schemas import ProviderIn, ProviderUpdate
from authgate.admin.federation_views import identity_json, provider_json
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.request import admin, json_body, paging
from authgate.web.context import query, services
from authgate.web.responses import json_response

_ONE = f"{paths.PROVIDERS}/{{alias}}"
_LINK = f"{paths.IDENTITIES}/{{alias}}/{{subject}}"


async def list_providers(request: Request) -> Response:
    await authenticate(request, s.FEDERATION_READ)
    issuer = services(request).issuer
    return json_response([provider_json(p, issuer) for p in await admin(request).federation.list()])


async def get_provider(request: Request) -> Response:
    await authenticate(request, s.FEDERATION_READ)
    found = await admin(request).federation.get(request.path_params["alias"])
    return json_response(provider_json(found, services(request).issuer))


async def add_provider(request: Request) -> Response:
    actor = await authenticate(request, s.FEDERATION_WRITE)
    body = await json_body(request, ProviderIn)
    added = await admin(request).federation.create(body, actor)
    return json_response(provider_json(added, services(request).issuer), 201)


async def update_provider(request: Request) -> Response:
    actor = await authenticate(request, s.FEDERATION_WRITE)
    body = await json_body(request, ProviderUpdate)
    changed = await admin(request).federation.update(request.path_params["alias"], body, actor)
    return json_response(provider_json(changed, services(request).issuer))


async def remove_provider(request: Request) -> Response:
    actor = await authenticate(request, s.FEDERATION_WRITE)
    await admin(request).federation.remove(request.path_params["alias"], actor)
    return Response(status_code=204)


async def list_identities(request: Request) -> Response:
    await authenticate(request, s.FEDERATION_READ)
    _, limit, offset = paging(request)
    params = query(request)
    found = await admin(request).federation.links(
        user_id=params.get("user_id"), alias=params.get("alias"), limit=limit, offset=offset
    )
    return json_response([identity_json(i) for i in found])


async def remove_identity(request: Request) -> Response:
    actor = await authenticate(request, s.FEDERATION_WRITE)
    p = request.path_params
    await admin(request).federation.unlink(p["alias"], p["subject"], actor)
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route(paths.PROVIDERS, list_providers, methods=["GET"]),
        Route(paths.PROVIDERS, add_provider, methods=["POST"]),
        Route(_ONE, get_provider, methods=["GET"]),
        Route(_ONE, update_provider, methods=["PATCH"]),
        Route(_ONE, remove_provider, methods=["DELETE"]),
        Route(paths.IDENTITIES, list_identities, methods=["GET"]),
        Route(_LINK, remove_identity, methods=["DELETE"]),
    ]
