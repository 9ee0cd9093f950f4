"""GET/POST /jans-auth/restv1/userinfo (OIDC Core §5.3) with bearer tokens (RFC 6750) and
DPoP-bound tokens (RFC 9449 §7). The claims are JSON, or a signed and/or encrypted JWT
(``application/jwt``) for a client registered with ``userinfo_signed_response_alg`` or
``userinfo_encrypted_response_alg`` (OIDC Core §5.3.2).

The token is read from the Authorization header (``Bearer`` or ``DPoP`` scheme), or from a
form body on POST (RFC 6750 §2.2, Bearer only). A token in the query string is ignored
(RFC 9700 §4.3.2: tokens do not belong in URLs).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.endpoints import EndpointUrls
from authgate.core.tokens.binding import Scheme, parse_authorization, verify_binding
from authgate.core.tokens.userinfo import active_access_token
from authgate.core.tokens.userinfo import userinfo as userinfo_claims
from authgate.errors import InvalidRequest
from authgate.web.context import authorization, bind_client, dpop_header, form, services
from authgate.web.responses import NO_STORE, json_response

#: The media type of a signed UserInfo response (OIDC Core §5.3.2).
JWT_MEDIA_TYPE = "application/jwt"


async def _credentials(request: Request) -> tuple[Scheme, str | None]:
    presented = parse_authorization(authorization(request))
    scheme: Scheme = presented[0] if presented else "Bearer"
    token = presented[1] if presented else None
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        body_token = (await form(request)).get("access_token")
        if body_token and token:
            raise InvalidRequest("Send the access token in one place only (RFC 6750 §2)")
        token = token or body_token
    return scheme, token


async def userinfo(request: Request) -> Response:
    svc = services(request)
    scheme, token = await _credentials(request)
    record = await active_access_token(token, svc)
    bind_client(request, record.client_id)
    assert token is not None
    await verify_binding(
        record,
        scheme=scheme,
        access_token=token,
        proof=dpop_header(request),
        htm=request.method,
        htu=EndpointUrls(svc.issuer).userinfo_endpoint,
        svc=svc,
    )
    info = await userinfo_claims(record, svc)
    if info.jwt is not None:
        return Response(info.jwt, media_type=JWT_MEDIA_TYPE, headers=dict(NO_STORE))
    return json_response(info.claims)
