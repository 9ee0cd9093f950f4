"""GET/POST /jans-auth/restv1/userinfo (OIDC Core §5.3) with bearer tokens (RFC 6750).

The token is read from the Authorization header, or from a form body on POST (§2.2). A token
in the query string is ignored (RFC 9700 §4.3.2: tokens do not belong in URLs).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.userinfo import userinfo as userinfo_claims
from authgate.errors import InvalidRequest
from authgate.web.context import form, services
from authgate.web.responses import json_response


async def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    token = None
    if header and header[:7].lower() == "bearer ":
        token = header[7:].strip() or None
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        body_token = (await form(request)).get("access_token")
        if body_token and token:
            raise InvalidRequest("Send the access token in one place only (RFC 6750 §2)")
        token = token or body_token
    return token


async def userinfo(request: Request) -> Response:
    claims = await userinfo_claims(await _bearer(request), services(request))
    return json_response(claims)
