"""The account page's routes: the page, its sign-in and callback, and its sign-out
(docs/account.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.core.account import signin
from authgate.core.account.client import ACCOUNT_PATH, CALLBACK_PATH
from authgate.core.account.signin import PendingSignIn
from authgate.crypto.handles import handle_hash
from authgate.web.account import cookies
from authgate.web.account.guard import (
    SIGN_IN_PATH,
    account_page,
    checked_form,
    require_account_user,
)
from authgate.web.context import query, services
from authgate.web.pages import page
from authgate.web.responses import redirect
from authgate.web.source import source

#: The links of the page's Security section, shown only for the pages this server has.
SECURITY_LINKS = (
    ("/account/security/passkeys", "Passkeys", "security-passkeys"),
    ("/account/security/authenticator", "Authenticator app", "security-authenticator"),
    ("/account/security/recovery-codes", "Recovery codes", "security-recovery-codes"),
)


def _routed_paths(request: Request) -> set[str]:
    return {getattr(route, "path", "") for route in request.app.routes}


async def account(request: Request) -> Response:
    user = await require_account_user(request, recent=False)
    if isinstance(user, Response):
        return user
    paths = _routed_paths(request)
    security = [link for link in SECURITY_LINKS if link[0] in paths]
    return account_page("account.html", user, security=security)


async def sign_in(request: Request) -> Response:
    """Start a sign-in to the account page (``next``: where to return; ``fresh=1``: sign in
    again even with a live login session)."""
    params = query(request)
    location, pending = await signin.begin(
        services(request), params.get("next"), fresh=params.get("fresh") == "1"
    )
    response = redirect(location)
    cookies.set_pending(request, response, pending.encode())
    return response


async def callback(request: Request) -> Response:
    """The authorization response: redeem it and hold the sign-in in the account cookie.

    The answer is a page that moves on to the account page by itself rather than a redirect:
    when another site started the navigation, a redirect would not carry the SameSite=Strict
    cookie just set, and the page would ask to sign in again.
    """
    svc = services(request)
    pending = PendingSignIn.decode(cookies.read_pending(request))
    done = await signin.complete(svc, query(request), pending, source=source(request))
    response = page("account_continue.html", next_path=done.next_path)
    cookies.set_account(request, response, done.access_token, done.expires_in)
    cookies.clear_pending(request, response)
    return response


async def sign_out(request: Request) -> Response:
    """Forget the account page's sign-in (the login session itself stays)."""
    user = await require_account_user(request, recent=False)
    if isinstance(user, Response):
        return user
    await checked_form(request, user)
    value = cookies.read_account(request)
    svc = services(request)
    if value is not None:
        await svc.grants.revoke_token(handle_hash(value), svc.clock.now())
    response = page("account_signed_out.html")
    cookies.clear_account(request, response)
    return response


def routes() -> list[Route]:
    return [
        Route(ACCOUNT_PATH, account, methods=["GET"]),
        Route(SIGN_IN_PATH, sign_in, methods=["GET"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
        Route("/account/signout", sign_out, methods=["POST"]),
    ]
