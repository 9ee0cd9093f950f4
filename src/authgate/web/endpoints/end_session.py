"""GET/POST /jans-auth/restv1/end_session: RP-initiated logout (OIDC RP-Initiated Logout 1.0).

A POST carrying ``csrf`` is the user's answer on the confirmation page; any other request
comes from a relying party. The session cookie is cleared whenever the browser sent one.
When the ended session's clients registered front-channel logout URIs, the answer is the
logged-out page loading them (:mod:`authgate.web.logout_page`), which then goes on to the
post-logout redirect URI; otherwise a plain redirect or the logged-out page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.logout import end_session as core
from authgate.core.logout.end_session import LogoutRequest
from authgate.web import cookies
from authgate.web.context import form, query, secure_cookies, services
from authgate.web.endpoints.authorize import current_session
from authgate.web.logout_page import logged_out
from authgate.web.pages import page
from authgate.web.responses import add_query, redirect


def _finish(request: Request, logout: LogoutRequest, frontchannel: list[str]) -> Response:
    """Back to the client's post-logout URI (with ``state``), or a signed-out page; through
    the front-channel logout page first when there are front-channel URIs to load."""
    target = None
    if logout.post_logout_redirect_uri is not None:
        params = {"state": logout.state} if logout.state is not None else {}
        target = add_query(logout.post_logout_redirect_uri, params)
    response: Response
    if target is not None and not frontchannel:
        response = redirect(target, status_code=303 if request.method == "POST" else 302)
    else:
        response = logged_out(frontchannel, target)
    if cookies.read(request, cookies.SESSION_COOKIE) is not None:
        cookies.clear_cookie(response, cookies.SESSION_COOKIE, secure=secure_cookies(request))
    return response


async def end_session(request: Request) -> Response:
    svc = services(request)
    params = await form(request) if request.method == "POST" else query(request)
    logout = await core.validate(params, svc)
    session = await current_session(request, svc)
    cookie = cookies.read(request, cookies.SESSION_COOKIE)
    confirmed = request.method == "POST" and "csrf" in params
    frontchannel: list[str] = []
    if session is not None and cookie is not None:
        if confirmed:
            core.check_csrf(cookie, params.get("csrf"))
        elif core.needs_confirmation(logout, session):
            client = logout.client
            return page(
                "logout.html",
                carried=sorted(logout.params.items()),
                csrf=core.csrf_token(cookie),
                client_name=client.metadata.client_name if client else "",
            )
        frontchannel = await core.logout(session, svc)
    return _finish(request, logout, frontchannel)
