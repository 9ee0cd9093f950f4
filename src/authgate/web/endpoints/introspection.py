"""POST /jans-auth/restv1/introspection: token introspection (RFC 7662 §2), as JSON or, on
``Accept: application/token-introspection+jwt``, as a signed JWT, encrypted for a caller that
asked for that at registration (RFC 9701)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.tokens import introspection_jwt
from authgate.core.tokens.introspection import introspect_for
from authgate.web.context import authorization, form, services
from authgate.web.responses import NO_STORE, json_response
from authgate.web.source import source


async def introspection(request: Request) -> Response:
    svc = services(request)
    body, caller = await introspect_for(
        await form(request),
        authorization(request),
        svc,
        source=source(request),
    )
    if introspection_jwt.wants_jwt(request.headers.get("accept")):
        alg = introspection_jwt.response_alg(caller, svc)
        if alg is not None:
            token = await introspection_jwt.jwt_response(body, caller, alg, svc)
            return Response(
                token,
                media_type=introspection_jwt.MEDIA_TYPE,
                headers=dict(NO_STORE),
            )
    return json_response(body)
