"""The self-service pages (docs/self-service.md): sign-up within an authorization request,
email verification, and password reset. Each answers 404 while its setting is off.

The forms post back to their own path; refusals re-render the form with the reason and
status 400. Every POST counts against the ``SelfService`` rate limit
(:mod:`authgate.web.rate_limits`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.core.authorize import interaction as flow
from authgate.core.authorize.request import NeedSecondFactor
from authgate.core.ports import Services
from authgate.core.selfservice import messages, service
from authgate.core.selfservice.policy import Refused
from authgate.core.selfservice.service import (
    RESET_PATH,
    SET_PASSWORD_PATH,
    SIGN_UP_PATH,
    VERIFY_PATH,
    SignUpForm,
)
from authgate.core.types import Interaction
from authgate.web import cookies
from authgate.web.context import form, query, services, user_agent
from authgate.web.error_texts import error_page
from authgate.web.i18n import gettext
from authgate.web.interaction import load, next_step, signed_in
from authgate.web.pages import page
from authgate.web.source import source
from authgate.web.user_messages import refusal


def not_found() -> Response:
    """The answer of a self-service page that is switched off."""
    return error_page(404, "not_found", message=gettext(messages.PAGE_OFF))


def _signup_page(ix: Interaction, *, status_code: int = 200, **context: Any) -> Response:
    values: dict[str, Any] = {"username": "", "email": "", "full_name": "", "error": None}
    values.update(context)
    return page(
        "signup.html", status_code=status_code, ix=ix.interaction_id, csrf=ix.csrf_token, **values
    )


async def signup_page(request: Request) -> Response:
    svc = services(request)
    if not svc.config.current.selfServiceSignUpEnabled:
        return not_found()
    ix = await load(request, query(request), svc)
    return _signup_page(ix, email=ix.request.login_hint or "")


async def signup_submit(request: Request) -> Response:
    svc = services(request)
    if not svc.config.current.selfServiceSignUpEnabled:
        return not_found()
    params = await form(request)
    ix = await load(request, params, svc)
    flow.check_csrf(ix, params.get("csrf"))
    entered = SignUpForm(
        username=params.get("username", ""),
        email=params.get("email", ""),
        name=params.get("name", ""),
        password=params.get("password", ""),
    )
    try:
        user = await service.sign_up(svc, entered, source=source(request))
    except Refused as exc:
        return _signup_page(
            ix,
            status_code=400,
            username=entered.username,
            email=entered.email,
            full_name=entered.name,
            error=refusal(exc),
            field=exc.field,
        )
    if service.must_verify(svc, user):
        return page("signup_verify.html", email=user.email)
    try:
        ix, session, cookie_value = await flow.password_step_done(
            ix, user, svc, user_agent=user_agent(request)
        )
    except flow.SecondFactorRequired as pending:
        return next_step(request, pending.interaction, NeedSecondFactor(), svc)
    devices = cookies.read(request, cookies.DEVICE_COOKIE)
    return await signed_in(request, ix, session, cookie_value, svc, devices=devices)


def _verification_on(svc: Services) -> bool:
    config = svc.config.current
    return config.selfServiceSignUpEnabled or config.selfServiceProfileChangesEnabled


def _invalid_link(exc: Refused) -> Response:
    return page("link_invalid.html", status_code=400, error=refusal(exc))


async def verify_page(request: Request) -> Response:
    """The link's landing page: a button that confirms (a GET changes nothing, so a mail
    scanner that opens links does not use them up)."""
    svc = services(request)
    if not _verification_on(svc):
        return not_found()
    token = query(request).get("token", "")
    try:
        link = await service.live_link(svc, token, service.VERIFY, source=source(request))
    except Refused as exc:
        return _invalid_link(exc)
    return page("verify_email.html", token=token, email=link.email)


async def verify_submit(request: Request) -> Response:
    svc = services(request)
    if not _verification_on(svc):
        return not_found()
    params = await form(request)
    try:
        user = await service.verify_email(svc, params.get("token", ""), source=source(request))
    except Refused as exc:
        return _invalid_link(exc)
    return page("email_verified.html", email=user.email)


async def reset_page(request: Request) -> Response:
    if not services(request).config.current.selfServicePasswordResetEnabled:
        return not_found()
    return page("reset_request.html")


async def reset_submit(request: Request) -> Response:
    """The same page, at once, whether or not the account exists (the work runs in the
    background)."""
    svc = services(request)
    if not svc.config.current.selfServicePasswordResetEnabled:
        return not_found()
    params = await form(request)
    service.request_reset(svc, params.get("identifier", ""), source=source(request))
    return page("reset_sent.html")


async def set_password_page(request: Request) -> Response:
    svc = services(request)
    if not svc.config.current.selfServicePasswordResetEnabled:
        return not_found()
    token = query(request).get("token", "")
    try:
        await service.live_link(svc, token, service.RESET, source=source(request))
    except Refused as exc:
        return _invalid_link(exc)
    return page("set_password.html", token=token, error=None)


async def set_password_submit(request: Request) -> Response:
    svc = services(request)
    if not svc.config.current.selfServicePasswordResetEnabled:
        return not_found()
    params = await form(request)
    token = params.get("token", "")
    try:
        await service.reset_password(
            svc,
            token,
            params.get("password", ""),
            params.get("password2", ""),
            source=source(request),
        )
    except Refused as exc:
        if not exc.field:  # the link itself
            return _invalid_link(exc)
        return page("set_password.html", status_code=400, token=token, error=refusal(exc))
    return page("password_reset_done.html")


def routes() -> list[Route]:
    return [
        Route(SIGN_UP_PATH, signup_page, methods=["GET"]),
        Route(SIGN_UP_PATH, signup_submit, methods=["POST"]),
        Route(VERIFY_PATH, verify_page, methods=["GET"]),
        Route(VERIFY_PATH, verify_submit, methods=["POST"]),
        Route(RESET_PATH, reset_page, methods=["GET"]),
        Route(RESET_PATH, reset_submit, methods=["POST"]),
        Route(SET_PASSWORD_PATH, set_password_page, methods=["GET"]),
        Route(SET_PASSWORD_PATH, set_password_submit, methods=["POST"]),
    ]
