"""The account page's cookies, both HttpOnly, Secure when the issuer is https, and scoped to
the page's paths (docs/account.md, "How the page signs in").

``authgate_account`` holds the sign-in (the account client's access token; the server keeps
only its hash): SameSite=Strict, path ``/account``, so no other site's page can make the
browser send it. ``authgate_account_signin`` holds a pending sign-in (``state``, ``nonce``,
PKCE verifier) for the callback only: SameSite=Lax, because the authorization response may
arrive at the end of a navigation another site started.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.account.client import ACCOUNT_PATH, CALLBACK_PATH
from authgate.web import cookies
from authgate.web.context import secure_cookies

ACCOUNT_COOKIE = "authgate_account"
PENDING_COOKIE = "authgate_account_signin"
#: A pending sign-in is abandoned after this long.
PENDING_LIFETIME = 600


def read_account(request: Request) -> str | None:
    return cookies.read(request, ACCOUNT_COOKIE)


def read_pending(request: Request) -> str | None:
    return cookies.read(request, PENDING_COOKIE)


def set_account(request: Request, response: Response, value: str, max_age: int) -> None:
    response.set_cookie(
        ACCOUNT_COOKIE,
        value,
        max_age=max_age,
        path=ACCOUNT_PATH,
        secure=secure_cookies(request),
        httponly=True,
        samesite="strict",
    )


def clear_account(request: Request, response: Response) -> None:
    response.delete_cookie(
        ACCOUNT_COOKIE,
        path=ACCOUNT_PATH,
        secure=secure_cookies(request),
        httponly=True,
        samesite="strict",
    )


def set_pending(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        PENDING_COOKIE,
        value,
        max_age=PENDING_LIFETIME,
        path=CALLBACK_PATH,
        secure=secure_cookies(request),
        httponly=True,
        samesite="lax",
    )


def clear_pending(request: Request, response: Response) -> None:
    response.delete_cookie(
        PENDING_COOKIE,
        path=CALLBACK_PATH,
        secure=secure_cookies(request),
        httponly=True,
        samesite="lax",
    )
