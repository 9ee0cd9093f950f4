"""The account's passkey page, ``/account/security/passkeys``: list, add, rename, remove.

It runs under the user's login session (the ``session_id`` cookie the authorization
endpoint uses). Every post carries the page's CSRF token, derived from the session
(:func:`authgate.core.passkeys.enrolment.csrf_token`); the page cannot be framed
(``frame-ancestors 'none'``). Adding or removing a passkey needs a sign-in within the last
five minutes; otherwise the page asks for the password or one of the user's passkeys again
(under brute-force protection), which opens a fresh session.

The options and registration posts answer JSON (the page's script calls them): errors are
``{"error", "error_description"}``. The other posts answer 303 back to the page.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.core import endpoints
from authgate.core.authorize.interaction import PASSWORD_ACR, PASSWORD_AMR
from authgate.core.mfa import factors
from authgate.core.passkeys import enrolment, signin
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected
from authgate.core.ports import Services
from authgate.core.protection import login as password_login
from authgate.core.types import LoginSession, User
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import AccessDenied, LoginFailed, LoginRequired
from authgate.web import cookies
from authgate.web.context import form, query, secure_cookies, services
from authgate.web.pages import page
from authgate.web.passkeys.script import SCRIPT_PAGE
from authgate.web.responses import json_response, redirect
from authgate.web.source import source

PAGE = endpoints.ACCOUNT_PASSKEYS
NOTICES = {
    "added": "Passkey added.",
    "renamed": "Passkey renamed.",
    "removed": "Passkey removed.",
    "confirmed": "Thank you: you can now add or remove passkeys.",
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Signed:
    session: LoginSession
    user: User


async def _signed_in(request: Request, svc: Services) -> _Signed | None:
    value = cookies.read(request, cookies.SESSION_COOKIE)
    if value is None:
        return None
    session = await svc.sessions.get(handle_hash(value))
    if session is None or session.expires_at <= svc.clock.now():
        return None
    user = await svc.users.get(session.user_id)
    if user is None or not user.enabled:
        return None
    return _Signed(session, user)


async def _required(request: Request, params: dict[str, str], svc: Services) -> _Signed:
    """The signed-in user of a post whose CSRF token is right.

    Raises:
        LoginRequired: no live session; AccessDenied: the CSRF token is wrong.
    """
    signed = await _signed_in(request, svc)
    if signed is None:
        raise LoginRequired("Sign in first")
    if not enrolment.csrf_ok(signed.session, params.get("csrf"), svc):
        raise AccessDenied("The form could not be verified. Reload the page and try again.")
    return signed


def _recent(signed: _Signed, svc: Services) -> None:
    if not enrolment.recent(signed.session, svc):
        raise AccessDenied(
            "Adding or removing a passkey needs a recent sign-in: confirm your password on "
            "the passkeys page first."
        )


def _when(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


async def _render(
    request: Request,
    svc: Services,
    signed: _Signed | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    if signed is None:
        return page("account_passkeys.html", status_code=401, headers=SCRIPT_PAGE,
                    signed_in=False)  # fmt: skip
    listed: list[dict[str, Any]] = [
        {
            "credential_id": p.credential_id,
            "name": p.name,
            "created": _when(p.created_at),
            "last_used": _when(p.last_used_at),
            "synced": p.synced,
        }
        for p in await svc.passkeys.for_user(signed.user.user_id)
    ]
    return page(
        "account_passkeys.html",
        status_code=status_code,
        headers=SCRIPT_PAGE,
        signed_in=True,
        username=signed.user.username,
        passkeys=listed,
        csrf=enrolment.csrf_token(signed.session, svc),
        recent=enrolment.recent(signed.session, svc),
        recent_minutes=enrolment.RECENT_SIGN_IN // 60,
        error=error,
        notice=NOTICES.get(query(request).get("done", "")),
    )


async def passkeys_page(request: Request) -> Response:
    svc = services(request)
    return await _render(request, svc, await _signed_in(request, svc))


def _back(done: str) -> Response:
    return redirect(f"{PAGE}?done={done}", status_code=303)


async def registration_options(request: Request) -> Response:
    """``POST csrf``: creation options for ``navigator.credentials.create`` (JSON)."""
    svc = services(request)
    signed = await _required(request, await form(request), svc)
    _recent(signed, svc)
    return json_response(await enrolment.registration_options(signed.session, signed.user, svc))


async def register(request: Request) -> Response:
    """``POST csrf, name, credential`` (the attestation JSON): store the passkey (201 JSON)."""
    svc = services(request)
    params = await form(request)
    signed = await _required(request, params, svc)
    _recent(signed, svc)
    passkey = await enrolment.register(
        signed.session,
        signed.user,
        params.get("credential", ""),
        params.get("name", ""),
        svc,
        source=source(request),
    )
    return json_response({"credential_id": passkey.credential_id, "name": passkey.name}, 201)


async def rename(request: Request) -> Response:
    svc = services(request)
    params = await form(request)
    signed = await _required(request, params, svc)
    if not await enrolment.rename(
        signed.user, params.get("credential_id", ""), params.get("name", ""), svc
    ):
        return await _render(request, svc, signed, status_code=400,
                             error="No such passkey, or the name is empty.")  # fmt: skip
    return _back("renamed")


async def remove(request: Request) -> Response:
    svc = services(request)
    params = await form(request)
    signed = await _required(request, params, svc)
    if not enrolment.recent(signed.session, svc):
        return await _render(request, svc, signed, status_code=403,
                             error="Confirm your password before removing a passkey.")  # fmt: skip
    credential_id = params.get("credential_id", "")
    owned = {p.credential_id for p in await svc.passkeys.for_user(signed.user.user_id)}
    if credential_id in owned:
        try:
            await factors.check_removal(signed.user.user_id, svc)
        except factors.LastFactorRequired as exc:
            return await _render(request, svc, signed, status_code=409, error=str(exc))
    if not await enrolment.remove(signed.user.user_id, credential_id, svc, source=source(request)):
        return await _render(request, svc, signed, status_code=404, error="No such passkey.")
    return _back("removed")


async def confirm_options(request: Request) -> Response:
    """``POST csrf``: request options to confirm the sign-in with one of the user's passkeys."""
    svc = services(request)
    signed = await _required(request, await form(request), svc)
    return json_response(await enrolment.confirm_options(signed.session, signed.user, svc))


async def confirm(request: Request) -> Response:
    """``POST csrf`` and ``password``, or ``credential`` (an assertion of one of the user's
    passkeys): sign in again, for a fresh ``auth_time``, under brute-force protection; the
    new session replaces the old one."""
    svc = services(request)
    params = await form(request)
    signed = await _required(request, params, svc)
    acr: str = PASSWORD_ACR
    amr: tuple[str, ...] = PASSWORD_AMR
    try:
        if params.get("credential"):
            use = await enrolment.confirm(
                signed.session, signed.user, params["credential"], svc, source=source(request)
            )
            acr, amr = signin.acr_of(use), use.amr
        else:
            await password_login.verify_password(
                signed.user.username, params.get("password", ""), svc, source=source(request)
            )
    except (LoginFailed, PasskeyRejected, PasskeyMalformed) as exc:
        retry = getattr(exc, "retry_after", None)
        text = exc.description if isinstance(exc, PasskeyRejected | PasskeyMalformed) else str(exc)
        status = 401 if isinstance(exc, LoginFailed) else exc.status_code
        response = await _render(request, svc, signed, status_code=status, error=text)
        if retry:
            response.headers["Retry-After"] = str(retry)
        return response
    now = int(svc.clock.now())
    cookie_value = new_handle()
    session = LoginSession(
        session_hash=handle_hash(cookie_value),
        sid=str(uuid.uuid4()),
        user_id=signed.user.user_id,
        auth_time=now,
        expires_at=now + svc.config.current.sessionIdLifetime,
        acr=acr,
        amr=amr,
    )
    await svc.sessions.add(session)
    await svc.sessions.end(signed.session.session_hash)
    response = _back("confirmed")
    cookies.set_cookie(
        response,
        cookies.SESSION_COOKIE,
        cookie_value,
        secure=secure_cookies(request),
        max_age=svc.config.current.sessionIdLifetime,
    )
    return response
