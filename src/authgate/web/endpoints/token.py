"""POST /jans-auth/restv1/token (RFC 6749 §3.2), with DPoP (RFC 9449 §5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.tokens.dpop import server_nonce
from authgate.core.tokens.endpoint import token as token_request
from authgate.web.context import dpop_header, form, services
from authgate.web.responses import json_response
from authgate.web.source import source


async def token(request: Request) -> Response:
    svc = services(request)
    proof = dpop_header(request)
    body = await token_request(
        await form(request),
        request.headers.get("authorization"),
        svc,
        dpop_proof=proof,
        source=source(request),
    )
    headers = None
    config = svc.config.current
    if proof is not None and config.dpopUseNonce:  # the next nonce, ahead of time (§8.2)
        headers = {"DPoP-Nonce": server_nonce(config, svc.clock.now())}
    return json_response(body, headers=headers)
