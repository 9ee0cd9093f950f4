"""Passkeys in an authorization request's sign-in: the options of the login page and of the
factor page's passkey method (:mod:`authgate.web.factors`), and the passkey sign-in form
post.

Each post carries the interaction id and its CSRF token and must come from the browser the
interaction belongs to, like the password form (:mod:`authgate.web.interaction`). A refused
passkey shows the page again with the reason; a success answers 303 to the next step.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.authorize import interaction as flow
from authgate.core.authorize.request import AuthorizationResponse
from authgate.core.passkeys import signin
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected
from authgate.core.ports import Services
from authgate.core.types import Interaction, LoginSession
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidRequest
from authgate.web import cookies, i18n
from authgate.web.context import form, secure_cookies, services
from authgate.web.delivery import deliver_response
from authgate.web.endpoints.authorize import interaction_redirect
from authgate.web.pages import page
from authgate.web.passkeys.script import SCRIPT_PAGE
from authgate.web.responses import json_response
from authgate.web.source import source
from authgate.web.user_messages import passkey_refusal


async def _load(request: Request, params: dict[str, str], svc: Services) -> Interaction:
    ix = await flow.load(params.get("ix"), cookies.read(request, cookies.BROWSER_COOKIE), svc)
    i18n.prefer(ix.request.ui_locales)  # the request's languages, for this page
    return ix


async def _client_name(ix: Interaction, svc: Services) -> str:
    client = await svc.clients.get(ix.request.client_id)
    return (client.metadata.client_name if client else "") or ix.request.client_id


async def options(request: Request) -> Response:
    """``POST`` ``ix``, ``csrf``, ``purpose`` (``login`` or ``second-factor``): the request
    options for ``navigator.credentials.get``, with a challenge bound to the interaction."""
    svc = services(request)
    params = await form(request)
    ix = await _load(request, params, svc)
    flow.check_csrf(ix, params.get("csrf"))
    purpose = params.get("purpose", "login")
    if purpose == "login":
        return json_response(signin.login_options(ix, svc))
    if purpose == "second-factor":
        return json_response(await signin.second_factor_options(ix, svc))
    raise InvalidRequest("purpose must be login or second-factor")


async def _signed_in(
    request: Request, ix: Interaction, session: LoginSession, cookie_value: str, svc: Services
) -> Response:
    """After a sign-in: end the browser's previous session, answer the next step with 303
    and set the new session cookie."""
    previous = cookies.read(request, cookies.SESSION_COOKIE)
    if previous is not None and handle_hash(previous) != session.session_hash:
        await svc.sessions.end(handle_hash(previous))
    step = await flow.advance(ix, session, svc)
    if isinstance(step, AuthorizationResponse):
        response = deliver_response(step, svc, status_code=303)
    else:
        secret = cookies.read(request, cookies.BROWSER_COOKIE) or ""
        response = interaction_redirect(request, ix.interaction_id, step, secret, svc, 303)
    cookies.set_cookie(
        response,
        cookies.SESSION_COOKIE,
        cookie_value,
        secure=secure_cookies(request),
        max_age=svc.config.current.sessionIdLifetime,
    )
    return response


def _status(exc: PasskeyRejected | PasskeyMalformed) -> tuple[int, dict[str, str] | None]:
    retry = getattr(exc, "retry_after", None)
    return exc.status_code, ({"Retry-After": str(retry)} if retry else None)


async def login_submit(request: Request) -> Response:
    """``POST`` ``ix``, ``csrf``, ``credential`` (the assertion JSON) from the login page."""
    svc = services(request)
    params = await form(request)
    ix = await _load(request, params, svc)
    flow.check_csrf(ix, params.get("csrf"))
    try:
        ix, session, cookie_value = await signin.sign_in(
            ix, params.get("credential", ""), svc, source=source(request)
        )
    except (PasskeyRejected, PasskeyMalformed) as exc:
        status, headers = _status(exc)
        return page(
            "login.html",
            status_code=status,
            headers={**SCRIPT_PAGE, **(headers or {})},
            ix=ix.interaction_id,
            csrf=ix.csrf_token,
            client_name=await _client_name(ix, svc),
            username=ix.request.login_hint or "",
            error=passkey_refusal(exc),
        )
    return await _signed_in(request, ix, session, cookie_value, svc)
