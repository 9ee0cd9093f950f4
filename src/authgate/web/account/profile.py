"""The account page's profile changes (docs/self-service.md): name, password (the current
one required; the user's other sessions end) and email address (a link to the new address
must be followed before it counts; the old address gets a notice then).

Every change needs a recent sign-in and the page's CSRF token
(:mod:`authgate.web.account.guard`), and counts against the SelfService rate limit. The
pages answer 404 while ``selfServiceProfileChangesEnabled`` is off.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.core.selfservice import service
from authgate.core.selfservice.policy import Refused
from authgate.core.selfservice.profile_paths import (
    EMAIL_PATH,
    NAME_PATH,
    PASSWORD_PATH,
    PROFILE_PAGE,
    RESEND_PATH,
)
from authgate.web.account.guard import (
    AccountUser,
    account_page,
    checked_form,
    require_account_user,
    see_other,
)
from authgate.web.context import query, services
from authgate.web.selfservice import not_found
from authgate.web.source import source

#: What ``?done=`` may say on the page after a change (the texts are in the template).
DONE = frozenset({"name", "email", "password", "resent", "throttled"})


def _enabled(request: Request) -> bool:
    return services(request).config.current.selfServiceProfileChangesEnabled


def _page(user: AccountUser, *, status_code: int = 200, **context: object) -> Response:
    values: dict[str, object] = {"done": None, "error": None, "field": ""}
    values.update(context)
    response = account_page("account_profile.html", user, **values)
    response.status_code = status_code
    return response


async def profile_page(request: Request) -> Response:
    if not _enabled(request):
        return not_found()
    user = await require_account_user(request, recent=False)
    if isinstance(user, Response):
        return user
    done = query(request).get("done")
    return _page(user, done=done if done in DONE else None)


async def _change(request: Request) -> tuple[AccountUser, dict[str, str]] | Response:
    if not _enabled(request):
        return not_found()
    user = await require_account_user(request, recent=True, next_path=PROFILE_PAGE)
    if isinstance(user, Response):
        return user
    return user, await checked_form(request, user)


def _done(what: str) -> Response:
    return see_other(f"{PROFILE_PAGE}?done={what}")


async def change_name(request: Request) -> Response:
    checked = await _change(request)
    if isinstance(checked, Response):
        return checked
    user, params = checked
    try:
        await service.change_name(
            services(request), user.user, params.get("name", ""), source=source(request)
        )
    except Refused as exc:
        return _page(user, status_code=400, error=exc.message, field=exc.field)
    return _done("name")


async def change_email(request: Request) -> Response:
    checked = await _change(request)
    if isinstance(checked, Response):
        return checked
    user, params = checked
    try:
        sent = await service.change_email(
            services(request), user.user, params.get("email", ""), source=source(request)
        )
    except Refused as exc:
        return _page(user, status_code=400, error=exc.message, field=exc.field)
    return _done("email" if sent else "throttled")


async def resend(request: Request) -> Response:
    checked = await _change(request)
    if isinstance(checked, Response):
        return checked
    user, _ = checked
    sent = await service.resend_verification(services(request), user.user, source=source(request))
    return _done("resent" if sent else "throttled")


async def change_password(request: Request) -> Response:
    checked = await _change(request)
    if isinstance(checked, Response):
        return checked
    user, params = checked
    try:
        await service.change_password(
            services(request),
            user.user,
            params.get("current", ""),
            params.get("password", ""),
            params.get("password2", ""),
            keep_sid=user.sid,
            source=source(request),
        )
    except Refused as exc:
        return _page(user, status_code=400, error=exc.message, field=exc.field)
    return _done("password")


def routes() -> list[Route]:
    return [
        Route(PROFILE_PAGE, profile_page, methods=["GET"]),
        Route(NAME_PATH, change_name, methods=["POST"]),
        Route(EMAIL_PATH, change_email, methods=["POST"]),
        Route(PASSWORD_PATH, change_password, methods=["POST"]),
        Route(RESEND_PATH, resend, methods=["POST"]),
    ]
