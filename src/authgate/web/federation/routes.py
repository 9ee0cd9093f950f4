"""The two federation routes: ``GET /jans-auth/federation/{alias}/login?ix=`` (the login
page's button: store the pending sign-in, go upstream) and
``/jans-auth/federation/{alias}/callback`` (the redirect URI registered at the upstream):
a ``GET`` with the answer in the query, or a ``POST`` of a form for a provider that answers
with ``response_mode=form_post`` (Apple).

A form posted from the provider's site is a cross-site request, on which browsers do not send
the ``SameSite=Lax`` cookie that binds the sign-in to the browser. Such a post without the
cookie is answered with a page that posts the same fields again from this server's own
origin (marked :data:`BOUNCED`, once), where the browser sends the cookie; the answer itself
is only read then.

Every failure ends on a page saying what happened (:mod:`.messages`), never a 5xx; the core
records it as a ``federation_failed`` security event.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.core import endpoints
from authgate.core.authorize import interaction as ix_flow
from authgate.core.authorize.request import NeedSecondFactor
from authgate.core.federation import flow
from authgate.core.federation.errors import UPSTREAM_DOWN, FederationFailed
from authgate.core.federation.model import ALIAS
from authgate.errors import OAuthError
from authgate.web import cookies
from authgate.web.context import form, query, services, user_agent
from authgate.web.delivery import form_post
from authgate.web.federation.messages import TITLE, message
from authgate.web.i18n import gettext
from authgate.web.interaction import next_step, signed_in
from authgate.web.pages import page
from authgate.web.responses import redirect
from authgate.web.source import source


async def _failed(request: Request, alias: str, code: str, interaction_id: str | None) -> Response:
    svc = services(request)
    label = alias
    if svc.federation is not None and ALIAS.fullmatch(alias):
        found = await svc.federation.store.provider(alias)
        label = found.label if found else alias
    retry = None
    if interaction_id and code not in ("state_invalid",):
        retry = f"{endpoints.LOGIN_PAGE}?{urlencode({'ix': interaction_id, 'choose': '1'})}"
    return page(
        "federation_error.html",
        status_code=502 if code in UPSTREAM_DOWN else 400,
        title=gettext(TITLE),
        code=code,
        message=message(code, label),
        retry=retry,
    )


async def login(request: Request) -> Response:
    """Go to the upstream provider for the interaction ``ix``."""
    svc = services(request)
    alias = request.path_params["alias"]
    params = query(request)
    ix = await ix_flow.load(params.get("ix"), cookies.read(request, cookies.BROWSER_COOKIE), svc)
    try:
        provider = await flow.enabled_provider(alias, svc)
        target = await flow.start(ix, provider, svc)
    except FederationFailed as exc:
        return await _failed(request, alias, exc.code, ix.interaction_id)
    return redirect(target, status_code=303)


#: Marks the form this server posted to itself (see the module docstring).
BOUNCED = "authgate_bounced"


async def callback(request: Request) -> Response:
    """Take the upstream's answer; sign in and go on with the authorization request."""
    svc = services(request)
    alias = request.path_params["alias"]
    browser = cookies.read(request, cookies.BROWSER_COOKIE)
    if request.method == "POST":
        try:
            params = await form(request)
        except OAuthError:
            return await _failed(request, alias, "upstream_error", None)
        bounced = params.pop(BOUNCED, None) is not None
        if browser is None and not bounced and ALIAS.fullmatch(alias):
            return form_post(flow.redirect_uri(svc, alias), params | {BOUNCED: "1"})
    else:
        params = query(request)
    try:
        outcome = await flow.callback(
            alias,
            params,
            browser,
            svc,
            source=source(request),
        )
    except FederationFailed as exc:
        return await _failed(request, alias, exc.code, exc.interaction_id)
    ix = outcome.interaction
    if outcome.user is None:  # an existing account must prove control: the password page
        path = f"{endpoints.LOGIN_PAGE}?{urlencode({'ix': ix.interaction_id})}"
        return redirect(path, status_code=303)
    try:
        ix, session, cookie_value = await flow.open_session(
            ix, outcome.user, alias, svc, user_agent=user_agent(request)
        )
    except ix_flow.SecondFactorRequired as pending:  # the same step as after a password
        return next_step(request, pending.interaction, NeedSecondFactor(), svc)
    devices = cookies.read(request, cookies.DEVICE_COOKIE)
    return await signed_in(request, ix, session, cookie_value, svc, devices)


def routes() -> list[Route]:
    return [
        Route(endpoints.FEDERATION_LOGIN, login, methods=["GET"]),
        Route(endpoints.FEDERATION_CALLBACK, callback, methods=["GET", "POST"]),
    ]
