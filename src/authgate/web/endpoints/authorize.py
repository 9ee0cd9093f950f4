"""GET/POST /jans-auth/restv1/authorize (RFC 6749 §4.1.1, OIDC Core §3.1.2.1)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from authgate.core import endpoints
from authgate.core.account import service as account
from authgate.core.authorize import error_redirect, interaction
from authgate.core.authorize import request as core
from authgate.core.authorize.request import (
    Approved,
    NeedConsent,
    NeedDeviceApproval,
    NeedLogin,
    NeedSecondFactor,
)
from authgate.core.federation.model import ALIAS
from authgate.core.ports import Services
from authgate.core.types import LoginSession, SessionState
from authgate.crypto.handles import handle_hash
from authgate.web import cookies
from authgate.web.context import form, query, secure_cookies, services
from authgate.web.delivery import deliver_response
from authgate.web.responses import redirect


async def current_session(request: Request, svc: Services) -> LoginSession | None:
    """The browser's login session, if its cookie names a live one."""
    value = cookies.read(request, cookies.SESSION_COOKIE)
    if value is None:
        return None
    session = await svc.sessions.get(handle_hash(value))
    if session is None or session.expires_at <= svc.clock.now():
        return None
    return session


def session_hash(request: Request) -> str | None:
    """The hash the browser's login session is stored under, if the browser has a cookie."""
    value = cookies.read(request, cookies.SESSION_COOKIE)
    return None if value is None else handle_hash(value)


async def current_session_state(
    request: Request, svc: Services, client_id: str
) -> SessionState | None:
    """The browser's live login session with its user's standing and consent for the client."""
    hashed = session_hash(request)
    return None if hashed is None else await error_redirect.live_state(hashed, client_id, svc)


_PAGES: dict[type, str] = {
    NeedLogin: endpoints.LOGIN_PAGE,
    NeedSecondFactor: endpoints.FACTOR_PAGE,
    NeedConsent: endpoints.CONSENT_PAGE,
    NeedDeviceApproval: endpoints.DEVICE_PAGE,
}


def interaction_redirect(
    request: Request,
    interaction_id: str,
    step: NeedLogin | NeedSecondFactor | NeedConsent | NeedDeviceApproval,
    browser_secret: str,
    svc: Services,
    status_code: int = 302,
    hint: str | None = None,
) -> Response:
    """Send the browser to the login, second-factor, consent or device approval page of an
    interaction; ``hint``: the request's ``kc_idp_hint`` (an upstream provider's alias,
    docs/federation.md), passed on to the login page."""
    path = _PAGES[type(step)]
    query = {"ix": interaction_id}
    if hint and isinstance(step, NeedLogin) and ALIAS.fullmatch(hint):
        query["kc_idp_hint"] = hint
    response = redirect(f"{path}?{urlencode(query)}", status_code=status_code)
    cookies.set_cookie(
        response,
        cookies.BROWSER_COOKIE,
        browser_secret,
        secure=secure_cookies(request),
        max_age=svc.config.current.sessionIdLifetime,
    )
    return response


async def authorize(request: Request) -> Response:
    params = await form(request) if request.method == "POST" else query(request)
    svc = services(request)
    auth_request, client = await core.validate(params, svc, session_hash=session_hash(request))
    state = await current_session_state(request, svc, client.client_id)
    session = state.session if state else None
    decision = await core.decide(auth_request, state, svc)
    if isinstance(decision, Approved):
        assert session is not None
        result = await core.issue(auth_request, session, client, svc)
        await account.note_use(session, svc)
        return deliver_response(result, svc)
    ix, secret = await interaction.begin(
        auth_request, session, cookies.read(request, cookies.BROWSER_COOKIE), svc
    )
    hint = auth_request.idp_hint
    return interaction_redirect(request, ix.interaction_id, decision, secret, svc, hint=hint)
