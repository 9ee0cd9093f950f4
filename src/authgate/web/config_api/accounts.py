"""Config API handlers for a user's grants (approved apps) and login sessions
(docs/account.md, "For administrators"). The user is named by id or username."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.schemas import GrantRevokedOut, GrantsRevokedOut, SessionsEndedOut
from authgate.admin.views import grant_json, user_session_json
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.request import admin
from authgate.web.context import check_target
from authgate.web.responses import json_response

USER = f"{paths.USERS}/{{user_id}}"
GRANTS = f"{USER}/grants"
GRANT = f"{GRANTS}/{{client_id}}"
SESSIONS = f"{USER}/sessions"
SESSION = f"{SESSIONS}/{{sid}}"


def target_user(request: Request) -> str:
    check_target(request)
    return str(request.path_params["user_id"])


async def list_grants(request: Request) -> Response:
    await authenticate(request, s.USERS_READ)
    found = await admin(request).accounts.grants(target_user(request))
    return json_response([grant_json(g) for g in found])


async def revoke_grant(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    client_id = request.path_params["client_id"]
    result = await admin(request).accounts.revoke_grant(target_user(request), client_id, actor)
    body = GrantRevokedOut(client_id=client_id, tokens_revoked=result.tokens)
    return json_response(body.model_dump(mode="json"))


async def revoke_grants(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    revoked = await admin(request).accounts.revoke_grants(target_user(request), actor)
    return json_response(GrantsRevokedOut(revoked=revoked).model_dump(mode="json"))


async def list_sessions(request: Request) -> Response:
    await authenticate(request, s.SESSIONS_READ)
    found = await admin(request).accounts.sessions(target_user(request))
    return json_response([user_session_json(x) for x in found])


async def end_session(request: Request) -> Response:
    actor = await authenticate(request, s.SESSIONS_DELETE)
    await admin(request).accounts.end_session(
        target_user(request), request.path_params["sid"], actor
    )
    return Response(status_code=204)


async def end_sessions(request: Request) -> Response:
    actor = await authenticate(request, s.SESSIONS_DELETE)
    ended = await admin(request).accounts.end_sessions(target_user(request), actor)
    return json_response(SessionsEndedOut(ended=ended).model_dump(mode="json"))


def routes() -> list[Route]:
    return [
        Route(GRANTS, list_grants, methods=["GET"]),
        Route(GRANTS, revoke_grants, methods=["DELETE"]),
        Route(GRANT, revoke_grant, methods=["DELETE"]),
        Route(SESSIONS, list_sessions, methods=["GET"]),
        Route(SESSIONS, end_sessions, methods=["DELETE"]),
        Route(SESSION, end_session, methods=["DELETE"]),
    ]
