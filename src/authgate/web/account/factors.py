"""The account page's second factors (docs/account.md): the authenticator apps (list, add
with the QR enrolment, rename, remove) and the recovery codes (regenerate, shown once).

Every page runs under the account guard (:mod:`authgate.web.account.guard`): a live account
sign-in, a CSRF token on every form, ``frame-ancestors 'none'``; changes that weaken or
replace a factor (adding, removing, new recovery codes) need a sign-in within the last 5
minutes. Removing the last factor of a user who must use one is refused
(:func:`authgate.core.mfa.factors.check_removal`).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.core.mfa import enrolment, factors
from authgate.web.account.guard import (
    AccountUser,
    account_page,
    checked_form,
    require_account_user,
    see_other,
)
from authgate.web.account.views import when
from authgate.web.context import query, services
from authgate.web.factors import qr_svg
from authgate.web.source import source

AUTHENTICATOR_PATH = "/account/security/authenticator"
RECOVERY_CODES_PATH = "/account/security/recovery-codes"
#: What the list page says after a change (``?done=``).
NOTICES = {
    "added": "Authenticator app added.",
    "renamed": "Authenticator app renamed.",
    "removed": "Authenticator app removed.",
}


@dataclass(frozen=True, slots=True)
class AuthenticatorRow:
    factor_id: str
    label: str
    added: str
    last_used: str


async def _list_page(
    request: Request, user: AccountUser, *, error: str | None = None, status_code: int = 200
) -> Response:
    svc = services(request)
    rows = [
        AuthenticatorRow(f.factor_id, f.label, when(f.confirmed_at), when(f.last_used_at))
        for f in await factors.authenticators(user.user_id, svc)
    ]
    notice = NOTICES.get(query(request).get("done", ""))
    response = account_page(
        "account_authenticator.html",
        user,
        authenticators=rows,
        notice=notice,
        error=error,
    )
    response.status_code = status_code
    return response


async def authenticator_page(request: Request) -> Response:
    user = await require_account_user(request, recent=False)
    if isinstance(user, Response):
        return user
    return await _list_page(request, user)


async def _enrol_page(
    request: Request, user: AccountUser, *, error: str | None = None, status_code: int = 200
) -> Response:
    svc = services(request)
    started = await enrolment.start_totp(user.user, svc)
    seed = " ".join(started.seed[i : i + 4] for i in range(0, len(started.seed), 4))
    response = account_page(
        "account_authenticator_add.html", user, qr=qr_svg(started.uri), seed=seed, error=error
    )
    response.status_code = status_code
    return response


async def add_page(request: Request) -> Response:
    """The QR code and the key of a new authenticator app (pending until confirmed)."""
    user = await require_account_user(request, recent=True)
    if isinstance(user, Response):
        return user
    return await _enrol_page(request, user)


async def add_submit(request: Request) -> Response:
    """``POST csrf, code, name``: confirm the new app with its first code. A user's first
    factor comes with recovery codes, shown once."""
    user = await require_account_user(request, recent=True, next_path=f"{AUTHENTICATOR_PATH}/add")
    if isinstance(user, Response):
        return user
    params = await checked_form(request, user)
    svc = services(request)
    pending = await enrolment.pending_totp(user.user_id, svc)
    first = await factors.factor_count(user.user_id, svc) == 0
    if pending is None or not await enrolment.confirm_totp(
        user.user_id, params.get("code", ""), svc, source=source(request)
    ):
        return await _enrol_page(
            request, user, status_code=400, error="That code is not valid. Try the next one."
        )
    name = factors.clean_label(params.get("name", ""))
    if name:
        await factors.rename_authenticator(user.user_id, pending.factor_id, name, svc)
    if first or await svc.factors.recovery_codes_left(user.user_id) == 0:
        codes = await enrolment.new_recovery_codes(user.user_id, svc, source=source(request))
        return account_page("account_recovery_codes.html", user, codes=codes, left=len(codes))
    return see_other(f"{AUTHENTICATOR_PATH}?done=added")


async def rename(request: Request) -> Response:
    user = await require_account_user(request, recent=False, next_path=AUTHENTICATOR_PATH)
    if isinstance(user, Response):
        return user
    params = await checked_form(request, user)
    svc = services(request)
    if not await factors.rename_authenticator(
        user.user_id, params.get("factor_id", ""), params.get("name", ""), svc
    ):
        return await _list_page(
            request, user, status_code=400, error="No such authenticator app, or the name is empty."
        )
    return see_other(f"{AUTHENTICATOR_PATH}?done=renamed")


async def remove(request: Request) -> Response:
    user = await require_account_user(request, recent=True, next_path=AUTHENTICATOR_PATH)
    if isinstance(user, Response):
        return user
    params = await checked_form(request, user)
    svc = services(request)
    try:
        removed = await factors.remove_authenticator(
            user.user_id, params.get("factor_id", ""), svc, source=source(request)
        )
    except factors.LastFactorRequired as exc:
        return await _list_page(request, user, status_code=409, error=str(exc))
    if not removed:
        return await _list_page(request, user, status_code=404, error="No such authenticator app.")
    return see_other(f"{AUTHENTICATOR_PATH}?done=removed")


async def recovery_codes_page(request: Request) -> Response:
    user = await require_account_user(request, recent=False)
    if isinstance(user, Response):
        return user
    left = await services(request).factors.recovery_codes_left(user.user_id)
    return account_page("account_recovery_codes.html", user, codes=None, left=left)


async def regenerate(request: Request) -> Response:
    """New recovery codes, replacing every earlier one; shown once, in this response only."""
    user = await require_account_user(request, recent=True, next_path=RECOVERY_CODES_PATH)
    if isinstance(user, Response):
        return user
    await checked_form(request, user)
    svc = services(request)
    codes = await enrolment.new_recovery_codes(user.user_id, svc, source=source(request))
    return account_page("account_recovery_codes.html", user, codes=codes, left=len(codes))


def routes() -> list[Route]:
    return [
        Route(AUTHENTICATOR_PATH, authenticator_page, methods=["GET"]),
        Route(f"{AUTHENTICATOR_PATH}/add", add_page, methods=["GET"]),
        Route(f"{AUTHENTICATOR_PATH}/add", add_submit, methods=["POST"]),
        Route(f"{AUTHENTICATOR_PATH}/rename", rename, methods=["POST"]),
        Route(f"{AUTHENTICATOR_PATH}/remove", remove, methods=["POST"]),
        Route(RECOVERY_CODES_PATH, recovery_codes_page, methods=["GET"]),
        Route(f"{RECOVERY_CODES_PATH}/regenerate", regenerate, methods=["POST"]),
    ]
