"""Browser cookies: the login session, the interaction binding and the device cookie.

The first two are HttpOnly and SameSite=Lax (sent on top-level navigations from the client
back to the authorize endpoint, never on cross-site subrequests or POSTs), and Secure when the
issuer is https. Their values are random handles; the database keeps only their hashes.

The device cookie (brute-force protection, :mod:`authgate.core.protection.device`) is a signed
token the server stores nothing of; it is needed only when the login form is posted, so it is
scoped to the login page's path and SameSite=Strict.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.endpoints import LOGIN_PAGE
from authgate.core.params import check_text

SESSION_COOKIE = "session_id"
BROWSER_COOKIE = "authgate_ix"
DEVICE_COOKIE = "authgate_device"


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def set_device_cookie(response: Response, value: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=max_age,
        path=LOGIN_PAGE,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")


def read(request: Request, name: str) -> str | None:
    """The cookie's value, if set.

    Raises:
        InvalidRequest: the value holds a control character (a quoted cookie value may
            spell one as an octal escape, ``"\\000"``, which the header itself cannot carry).
    """
    value = request.cookies.get(name)
    if value:
        check_text(name, value, what="cookie")
    return value or None
