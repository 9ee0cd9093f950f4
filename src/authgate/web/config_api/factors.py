"""Config API handlers for a user's second factors and passkeys (docs/account.md, "For
administrators"): list them, reset everything, remove one authenticator app or one passkey.
The user is named by id or username. No seed, code or key is ever in a response."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.admin import scopes as s
from authgate.admin.schemas import FactorsResetOut
from authgate.admin.views import passkey_json, user_factors_json
from authgate.web.config_api.accounts import USER, target_user
from authgate.web.config_api.auth import authenticate
from authgate.web.config_api.request import admin
from authgate.web.responses import json_response

FACTORS = f"{USER}/factors"
FACTOR = f"{FACTORS}/{{factor_id}}"
PASSKEYS = f"{USER}/passkeys"
PASSKEY = f"{PASSKEYS}/{{credential_id}}"


async def list_factors(request: Request) -> Response:
    await authenticate(request, s.USERS_READ)
    found = await admin(request).factors.list(target_user(request))
    return json_response(user_factors_json(found))


async def reset_factors(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    removed = await admin(request).factors.reset(target_user(request), actor)
    return json_response(FactorsResetOut(removed=removed).model_dump(mode="json"))


async def remove_factor(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    await admin(request).factors.remove(
        target_user(request), request.path_params["factor_id"], actor
    )
    return Response(status_code=204)


async def list_passkeys(request: Request) -> Response:
    await authenticate(request, s.USERS_READ)
    found = await admin(request).passkeys.list(target_user(request))
    return json_response([passkey_json(p) for p in found])


async def remove_passkey(request: Request) -> Response:
    actor = await authenticate(request, s.USERS_WRITE)
    credential_id = request.path_params["credential_id"]
    await admin(request).passkeys.remove(target_user(request), credential_id, actor)
    return Response(status_code=204)


def routes() -> list[Route]:
    return [
        Route(FACTORS, list_factors, methods=["GET"]),
        Route(FACTORS, reset_factors, methods=["DELETE"]),
        Route(FACTOR, remove_factor, methods=["DELETE"]),
        Route(PASSKEYS, list_passkeys, methods=["GET"]),
        Route(PASSKEY, remove_passkey, methods=["DELETE"]),
    ]
