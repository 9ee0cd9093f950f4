"""The login page and the consent page of an authorization request.

Each form carries the interaction id and its CSRF token; the interaction must belong to this
browser (binding cookie). Successful posts answer 303 so the browser follows with a GET and
never re-posts the credentials to the client (RFC 9700 §4.12).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.authorize import authorization_details
from authgate.core.authorize import interaction as flow
from authgate.core.authorize.request import (
    AuthorizationResponse,
    NeedConsent,
    NeedDeviceApproval,
    NeedLogin,
    NeedSecondFactor,
)
from authgate.core.authorize.steps import CREATE
from authgate.core.federation import first_factor
from authgate.core.federation import flow as federated
from authgate.core.federation.model import Provider
from authgate.core.ports import Services
from authgate.core.protection import device
from authgate.core.selfservice.service import RESET_PATH, SIGN_UP_PATH
from authgate.core.types import Interaction, LoginSession
from authgate.crypto.handles import handle_hash
from authgate.errors import EmailNotVerified, InteractionError, LoginFailed
from authgate.web import cookies, i18n
from authgate.web.context import form, query, secure_cookies, services, user_agent
from authgate.web.delivery import deliver_response
from authgate.web.endpoints.authorize import interaction_redirect
from authgate.web.federation import buttons
from authgate.web.pages import page
from authgate.web.passkeys.script import SCRIPT_PAGE
from authgate.web.responses import redirect
from authgate.web.source import source
from authgate.web.user_messages import translated


async def load(request: Request, params: dict[str, str], svc: Services) -> Interaction:
    ix = await flow.load(params.get("ix"), cookies.read(request, cookies.BROWSER_COOKIE), svc)
    i18n.prefer(ix.request.ui_locales)
    return ix


async def client_name(ix: Interaction, svc: Services) -> str:
    client = await svc.clients.get(ix.request.client_id)
    return (client.metadata.client_name if client else "") or ix.request.client_id


def next_step(
    request: Request,
    ix: Interaction,
    step: NeedLogin | NeedSecondFactor | NeedConsent | NeedDeviceApproval | AuthorizationResponse,
    svc: Services,
) -> Response:
    if isinstance(step, AuthorizationResponse):
        return deliver_response(step, svc, status_code=303)
    secret = cookies.read(request, cookies.BROWSER_COOKIE) or ""
    return interaction_redirect(request, ix.interaction_id, step, secret, svc, status_code=303)


def _self_service(svc: Services, ix: Interaction) -> dict[str, Any]:
    """The sign-in page's self-service links that are switched on."""
    config = svc.config.current
    links: dict[str, Any] = {}
    if config.selfServiceSignUpEnabled:
        links["signup_link"] = f"{SIGN_UP_PATH}?ix={ix.interaction_id}"
    if config.selfServicePasswordResetEnabled:
        links["reset_link"] = RESET_PATH
    return links


async def login_page(request: Request) -> Response:
    svc = services(request)
    params = query(request)
    ix = await load(request, params, svc)
    if (
        CREATE in ix.request.prompt
        and svc.config.current.selfServiceSignUpEnabled
        and params.get("signin") != "1"  # "I already have an account"
    ):
        return redirect(f"{SIGN_UP_PATH}?ix={ix.interaction_id}")
    providers = await buttons.enabled(svc)
    chosen = None
    if "choose" not in params:  # "choose": back from a failed upstream sign-in, no routing
        hint = params.get("kc_idp_hint") or ix.request.idp_hint
        chosen = federated.route(providers, hint, ix.request.login_hint)
    if chosen is not None:
        return redirect(buttons.href(chosen, ix), status_code=303)
    return await _login_form(ix, svc, providers, username=ix.request.login_hint or "")


async def _login_form(
    ix: Interaction,
    svc: Services,
    providers: list[Provider] | None = None,
    *,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The login page: the password form, a button per enabled upstream provider, and the
    notice of an upstream identity waiting to be linked."""
    if providers is None:
        providers = await buttons.enabled(svc)
    link = await federated.pending_link(ix, svc)
    shown = buttons.shown(providers, ix)
    linked = next((p.label for p in providers if link and p.alias == link.alias), None)
    return page(
        "login.html",
        status_code=status_code,
        headers={**SCRIPT_PAGE, **(headers or {}), **buttons.csp(shown, SCRIPT_PAGE)},
        ix=ix.interaction_id,
        csrf=ix.csrf_token,
        client_name=await client_name(ix, svc),
        username=username,
        error=error,
        providers=shown,
        link=linked or (link.alias if link else None),
        **_self_service(svc, ix),
    )


async def login_submit(request: Request) -> Response:
    svc = services(request)
    params = await form(request)
    ix = await load(request, params, svc)
    flow.check_csrf(ix, params.get("csrf"))
    username = params.get("username", "")
    devices = cookies.read(request, cookies.DEVICE_COOKIE)
    await first_factor.forget(ix, svc)  # the password, not an upstream sign-in, goes first now
    try:
        ix, session, cookie_value = await flow.login(
            ix,
            username,
            params.get("password", ""),
            svc,
            source=source(request),
            devices=devices,
            user_agent=user_agent(request),
        )
    except flow.SecondFactorRequired as pending:
        await federated.link_after_password(
            pending.interaction, pending.interaction.user_id, svc, source=source(request)
        )
        return next_step(request, pending.interaction, NeedSecondFactor(), svc)
    except LoginFailed as exc:
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        error = (
            translated(str(exc))
            if isinstance(exc, EmailNotVerified)
            else translated(LoginFailed.MESSAGE, exc.retry_after)
        )
        return await _login_form(
            ix, svc, username=username, error=error, status_code=401, headers=retry
        )
    session = await federated.complete_link(ix, session, svc, source=source(request))
    return await signed_in(request, ix, session, cookie_value, svc, devices=devices)


async def signed_in(
    request: Request,
    ix: Interaction,
    session: LoginSession,
    cookie_value: str,
    svc: Services,
    devices: str | None,
) -> Response:
    """After a sign-in in ``ix`` (the login form, a sign-up, or an upstream provider): end the
    browser's previous session, set the session and device cookies, and go on with the
    request."""
    previous = cookies.read(request, cookies.SESSION_COOKIE)
    if previous is not None and handle_hash(previous) != session.session_hash:
        await svc.sessions.end(handle_hash(previous))
    response = next_step(request, ix, await flow.advance(ix, session, svc), svc)
    cookies.set_cookie(
        response,
        cookies.SESSION_COOKIE,
        cookie_value,
        secure=secure_cookies(request),
        max_age=svc.config.current.sessionIdLifetime,
    )
    remembered = device.remember(devices, session.user_id, svc)
    if remembered is not None:
        cookies.set_device_cookie(
            response,
            remembered,
            secure=secure_cookies(request),
            max_age=svc.config.current.authenticationProtectionConfiguration.deviceCookieLifetime,
        )
    return response


async def consent_page(request: Request) -> Response:
    svc = services(request)
    ix = await load(request, query(request), svc)
    if flow.for_device(ix):
        raise InteractionError("a device verification is answered on the device page")
    session = await flow.session_of(ix, svc)
    user = await svc.users.get(session.user_id)
    known = {s.scope_id: s for s in await svc.scopes.all()}
    scopes = [
        (scope, known[scope].description if scope in known else scope) for scope in ix.request.scope
    ]
    return page(
        "consent.html",
        ix=ix.interaction_id,
        csrf=ix.csrf_token,
        client_name=await client_name(ix, svc),
        username=user.username if user else "",
        scopes=scopes,
        details=authorization_details.shown(ix.request.authorization_details),
        redirect_host=ix.request.redirect_uri.split("/")[2]
        if "://" in ix.request.redirect_uri
        else "",
    )


async def consent_submit(request: Request) -> Response:
    svc = services(request)
    params = await form(request)
    ix = await load(request, params, svc)
    flow.check_csrf(ix, params.get("csrf"))
    session = await flow.session_of(ix, svc)
    result = await flow.consent(ix, session, params.get("decision") == "allow", svc)
    return next_step(request, ix, result, svc)
