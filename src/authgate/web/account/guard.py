"""What every account page checks first: who is signed in, how recently, and the CSRF token
of its forms. For the account page and its sub-pages (passkeys, authenticator, recovery
codes), so they are protected alike::

    async def my_page(request: Request) -> Response:
        user = await require_account_user(request, recent=False)
        if isinstance(user, Response):
            return user          # the browser goes to sign in first
        ...
        return account_page("my_page.html", user, ...)

    async def my_change(request: Request) -> Response:
        user = await require_account_user(request, recent=True)
        if isinstance(user, Response):
            return user          # sign in again: the sign-in is older than 5 minutes
        params = await checked_form(request, user)   # CsrfError unless the form's token
        ...
        return see_other("/account/my-page")

A sign-in is the account client's access token in the account cookie
(:mod:`authgate.web.account.cookies`): live (not expired, not revoked: ending the login
session or revoking it ends it), of the account client, for an enabled user. The CSRF token
is derived from that cookie, so nothing is stored for it, and it changes with every sign-in.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.account.client import ACCOUNT_CLIENT_ID, ACCOUNT_PATH, RECENT_AUTH
from authgate.core.types import User
from authgate.crypto.handles import handle_hash
from authgate.errors import CsrfError
from authgate.web.account import cookies
from authgate.web.context import form, services
from authgate.web.pages import page
from authgate.web.responses import redirect

#: Where a browser goes to sign in to the account page (``?next=`` and ``fresh=1``).
SIGN_IN_PATH = "/account/signin"


@dataclass(frozen=True, slots=True)
class AccountUser:
    """The user signed in to the account page."""

    user: User
    #: The login session the sign-in was made in (its ``sid``).
    sid: str
    auth_time: int
    #: The token each form of the page must carry (:func:`checked_form`).
    csrf: str

    @property
    def user_id(self) -> str:
        return self.user.user_id


def csrf_token(cookie_value: str) -> str:
    return handle_hash("account-csrf\0" + cookie_value)


def sign_in_redirect(request: Request, *, fresh: bool = False, next_path: str = "") -> Response:
    """Send the browser to sign in (again, with ``fresh``), then back to ``next_path``
    (default: the page it asked for; after a POST, that page's GET)."""
    params = {"next": next_path or request.url.path}
    if fresh:
        params["fresh"] = "1"
    status = 302 if request.method in ("GET", "HEAD") else 303
    return redirect(f"{SIGN_IN_PATH}?{urlencode(params)}", status_code=status)


async def current_account_user(request: Request) -> AccountUser | None:
    """The signed-in account user, or None (no, expired, revoked or foreign sign-in)."""
    value = cookies.read_account(request)
    if value is None:
        return None
    svc = services(request)
    token = await svc.grants.get_token(handle_hash(value))
    now = svc.clock.now()
    if (
        token is None
        or token.kind != "access_token"
        or token.client_id != ACCOUNT_CLIENT_ID
        or token.revoked_at is not None
        or token.expires_at <= now
        or token.user_id is None
        or token.sid is None
        or token.auth_time is None
    ):
        return None
    user = await svc.users.get(token.user_id)
    if user is None or not user.enabled:
        return None
    return AccountUser(user, token.sid, token.auth_time, csrf_token(value))


async def require_account_user(
    request: Request, *, recent: bool, next_path: str | None = None
) -> AccountUser | Response:
    """The signed-in user, or the response that sends the browser to sign in.

    ``recent``: the change is sensitive, so a sign-in older than
    :data:`~authgate.core.account.client.RECENT_AUTH` seconds (5 minutes) must be renewed
    (``prompt=login``, ``max_age=0``). ``next_path``: where to come back after signing in
    (default: this page for a GET, the account page after a POST).
    """
    user = await current_account_user(request)
    back = next_path or (request.url.path if request.method in ("GET", "HEAD") else ACCOUNT_PATH)
    if user is None:
        return sign_in_redirect(request, next_path=back)
    if recent and services(request).clock.now() - user.auth_time > RECENT_AUTH:
        return sign_in_redirect(request, fresh=True, next_path=back)
    return user


def check_csrf(user: AccountUser, token: str | None) -> None:
    """Raises CsrfError unless ``token`` is this sign-in's CSRF token."""
    if not token or not hmac.compare_digest(token.encode(), user.csrf.encode()):
        raise CsrfError("account form without a valid CSRF token")


async def checked_form(request: Request, user: AccountUser) -> dict[str, str]:
    """The posted form, once its ``csrf`` field is checked (CsrfError otherwise)."""
    params = await form(request)
    check_csrf(user, params.get("csrf"))
    return params


def account_page(name: str, user: AccountUser, **context: Any) -> Response:
    """An account page: the page protections of every page (``frame-ancestors 'none'``,
    ``no-store``), with the user and the CSRF token in the template's context."""
    return page(name, account=user, csrf=user.csrf, **context)


def see_other(path: str) -> Response:
    """After a change: 303 to the page showing it."""
    return redirect(path, status_code=303)
