"""The second-factor page and the TOTP enrolment page of a sign-in (docs/sign-in.md).

``GET /jans-auth/factor.htm?ix=...[&method=kind]`` shows the chosen method (else the first
the user has enrolled) with links to the others; a user with none is sent to enrolment.
``POST`` checks the answer (:func:`authgate.core.mfa.step.verify`) and, on success, sets the
new session cookie and answers 303 to the next step.

``GET /jans-auth/enrol.htm?ix=...`` shows the QR code and the seed of a new TOTP factor;
``POST`` with a first code confirms it and shows the recovery codes, once; the page's
``continue`` post goes on with the authorization.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from authgate.core import endpoints
from authgate.core.authorize import interaction as flow
from authgate.core.mfa import step as second_factor
from authgate.core.mfa.methods import FactorContext, SecondFactorKind
from authgate.core.ports import Services
from authgate.core.types import Interaction, LoginSession
from authgate.crypto.handles import handle_hash
from authgate.errors import FactorFailed
from authgate.web import cookies
from authgate.web.context import form, query, secure_cookies, services
from authgate.web.factors import PAGES, qr_svg
from authgate.web.interaction import client_name, load, next_step
from authgate.web.pages import page
from authgate.web.passkeys.script import SCRIPT_PAGE
from authgate.web.responses import redirect
from authgate.web.source import source

#: What the factor page says when a passkey was refused (the reason is in the security event).
PASSKEY_REFUSED = "That passkey could not be verified. Try again, or use another way."


async def _offered(ix: Interaction, user_id: str, svc: Services) -> list[SecondFactorKind]:
    usable = await second_factor.usable_methods(ix, user_id, svc)
    return [kind for kind in usable if kind in PAGES]


async def _factor_page(
    request: Request,
    ix: Interaction,
    svc: Services,
    kind: SecondFactorKind,
    offered: list[SecondFactorKind],
    *,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    assert ix.user_id is not None
    factor_page = PAGES[kind]
    extra = {}
    if factor_page.context is not None:
        extra = await factor_page.context(
            request, FactorContext(ix.user_id, ix.interaction_id), svc
        )
    others = [
        (other, PAGES[other].label, f"{endpoints.FACTOR_PAGE}?"
         + urlencode({"ix": ix.interaction_id, "method": other.value}))
        for other in offered
        if other != kind
    ]  # fmt: skip
    script = SCRIPT_PAGE if extra.get("passkey") else {}
    return page(
        "factor.html",
        status_code=status_code,
        headers={**script, **(headers or {})},
        ix=ix.interaction_id,
        csrf=ix.csrf_token,
        client_name=await client_name(ix, svc),
        method=kind.value,
        method_template=factor_page.template,
        others=others,
        error=error,
        **extra,
    )


def _chosen(raw: str | None, offered: list[SecondFactorKind]) -> SecondFactorKind:
    for kind in offered:
        if kind.value == raw:
            return kind
    return offered[0]


async def factor_page(request: Request) -> Response:
    svc = services(request)
    params = query(request)
    ix = await load(request, params, svc)
    who = await second_factor.pending(ix, svc)
    offered = await _offered(ix, who.user.user_id, svc)
    if not offered:
        return redirect(
            f"{endpoints.ENROL_PAGE}?{urlencode({'ix': ix.interaction_id})}", status_code=303
        )
    return await _factor_page(request, ix, svc, _chosen(params.get("method"), offered), offered)


async def factor_submit(request: Request) -> Response:
    svc = services(request)
    params = await form(request)
    ix = await load(request, params, svc)
    flow.check_csrf(ix, params.get("csrf"))
    kind = params.get("method", "")
    try:
        ix, session, cookie_value = await second_factor.verify(
            ix, kind, params, svc, source=source(request)
        )
    except FactorFailed as exc:
        who = await second_factor.pending(ix, svc)
        offered = await _offered(ix, who.user.user_id, svc)
        if not offered:
            raise
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        chosen = _chosen(kind, offered)
        error = str(exc)
        if chosen == SecondFactorKind.WEBAUTHN:
            error = error.replace(FactorFailed.MESSAGE, PASSKEY_REFUSED)
        return await _factor_page(
            request, ix, svc, chosen, offered, error=error, status_code=401, headers=retry
        )
    response = next_step(request, ix, await flow.advance(ix, session, svc), svc)
    await _signed_in(request, response, session, cookie_value, svc)
    return response


async def _signed_in(
    request: Request, response: Response, session: LoginSession, cookie_value: str, svc: Services
) -> None:
    """Set the new session cookie; end the browser's earlier session if it is another one."""
    previous = cookies.read(request, cookies.SESSION_COOKIE)
    if previous is not None and handle_hash(previous) != session.session_hash:
        await svc.sessions.end(handle_hash(previous))
    cookies.set_cookie(
        response,
        cookies.SESSION_COOKIE,
        cookie_value,
        secure=secure_cookies(request),
        max_age=svc.config.current.sessionIdLifetime,
    )


async def _enrol_page(
    ix: Interaction,
    svc: Services,
    *,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    enrolment = await second_factor.start_enrolment(ix, svc)
    seed = enrolment.seed
    return page(
        "enrol.html",
        status_code=status_code,
        headers=headers,
        ix=ix.interaction_id,
        csrf=ix.csrf_token,
        client_name=await client_name(ix, svc),
        qr=qr_svg(enrolment.uri),
        seed=" ".join(seed[i : i + 4] for i in range(0, len(seed), 4)),
        error=error,
    )


async def enrol_page(request: Request) -> Response:
    svc = services(request)
    ix = await load(request, query(request), svc)
    return await _enrol_page(ix, svc)


async def enrol_submit(request: Request) -> Response:
    svc = services(request)
    params = await form(request)
    ix = await load(request, params, svc)
    flow.check_csrf(ix, params.get("csrf"))
    if params.get("action") == "continue":
        session = await flow.session_of(ix, svc)
        return next_step(request, ix, await flow.advance(ix, session, svc), svc)
    try:
        ix, session, cookie_value, codes = await second_factor.enrol(
            ix, params.get("code", ""), svc, source=source(request)
        )
    except FactorFailed as exc:
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return await _enrol_page(ix, svc, error=str(exc), status_code=401, headers=retry)
    response = page(
        "recovery_codes.html",
        ix=ix.interaction_id,
        csrf=ix.csrf_token,
        client_name=await client_name(ix, svc),
        codes=codes,
    )
    await _signed_in(request, response, session, cookie_value, svc)
    return response
