"""POST /jans-auth/restv1/revoke: token revocation (RFC 7009 §2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.tokens.revocation import revoke as revoke_token
from authgate.web.context import authorization, form, services
from authgate.web.responses import NO_STORE
from authgate.web.source import source


async def revoke(request: Request) -> Response:
    await revoke_token(
        await form(request),
        authorization(request),
        services(request),
        source=source(request),
    )
    return Response(status_code=200, headers=NO_STORE)
