"""Config API handlers for initial access tokens (RFC 7591 §3; authgate extension)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.schemas import InitialTokenIn
from authgate.admin.views import initial_token_json, issued_token_json
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.request import admin, json_body, paging
from authgate.web.context import services
from authgate.web.responses import json_response


async def list_tokens(request: Request) -> Response:
    await authenticate(request, s.INITIAL_TOKENS_READ)
    _, limit, offset = paging(request)
    found = await admin(request).initial_tokens.list(limit, offset)
    now = services(request).clock.now()
    return json_response([initial_token_json(t, now) for t in found])


async def issue_token(request: Request) -> Response:
    actor = await authenticate(request, s.INITIAL_TOKENS_WRITE)
    body = await json_body(request, InitialTokenIn)
    issued = await admin(request).initial_tokens.issue(body, actor)
    return json_response(issued_token_json(issued, services(request).clock.now()), 201)


async def revoke_token(request: Request) -> Response:
    actor = await authenticate(request, s.INITIAL_TOKENS_WRITE)
    await admin(request).initial_tokens.revoke(request.path_params["token_id"], actor)
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route(paths.INITIAL_TOKENS, list_tokens, methods=["GET"]),
        Route(paths.INITIAL_TOKENS, issue_token, methods=["POST"]),
        Route(f"{paths.INITIAL_TOKENS}/{{token_id}}", revoke_token, methods=["DELETE"]),
    ]
