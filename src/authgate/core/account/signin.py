"""Signing in to the account page, as a relying party of this server (docs/account.md).

:func:`begin` makes an authorization request for the account client: ``state``, ``nonce``
and a PKCE verifier (S256) that the browser keeps in a cookie of the callback's path until
the response comes back; ``prompt=login`` with ``max_age=0`` when a recent sign-in is needed.
:func:`complete` checks ``state``, redeems the code at the token endpoint's core (the same
code path as any client's request), and checks the ID Token (signature, ``iss``, ``aud``,
``nonce``, ``exp``; OIDC Core §3.1.3.7). The access token it gets is the account page's
sign-in: the browser holds it in the account cookie, the server only its hash.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import urlencode

from authgate.core.account.client import (
    ACCOUNT_CLIENT_ID,
    ACCOUNT_PATH,
    SCOPE,
    callback_uri,
    ensure_account_client,
)
from authgate.core.authorize.pkce import s256
from authgate.core.endpoints import AUTHORIZE
from authgate.core.ports import Services
from authgate.core.tokens import endpoint as token_endpoint
from authgate.crypto.handles import new_handle
from authgate.errors import InvalidRequest

#: Where a sign-in may return to: the account page and its sub-pages, nothing else.
_NEXT_PREFIX = ACCOUNT_PATH


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What the browser keeps between the authorization request and its response."""

    state: str
    nonce: str
    verifier: str
    next_path: str

    def encode(self) -> str:
        return "~".join((self.state, self.nonce, self.verifier, self.next_path))

    @classmethod
    def decode(cls, value: str | None) -> PendingSignIn | None:
        parts = (value or "").split("~")
        if len(parts) != 4 or not all(parts):
            return None
        return cls(*parts)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A completed sign-in: the access token the account cookie holds, and when it ends."""

    access_token: str
    expires_in: int
    next_path: str


def safe_next(path: str | None) -> str:
    """``path`` if it is the account page or one of its sub-pages, else the account page."""
    if (
        path
        and (path == _NEXT_PREFIX or path.startswith(_NEXT_PREFIX + "/"))
        and "~" not in path
        and "//" not in path
        and "\\" not in path
        and path.isascii()
        and path.isprintable()
    ):
        return path
    return ACCOUNT_PATH


async def begin(svc: Services, next_path: str | None, *, fresh: bool) -> tuple[str, PendingSignIn]:
    """The authorization request's path and query, and what the browser must keep."""
    await ensure_account_client(svc)
    pending = PendingSignIn(new_handle(), new_handle(), new_handle(), safe_next(next_path))
    params = {
        "response_type": "code",
        "client_id": ACCOUNT_CLIENT_ID,
        "redirect_uri": callback_uri(svc.issuer),
        "scope": " ".join(SCOPE),
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": s256(pending.verifier),
        "code_challenge_method": "S256",
    }
    if fresh:
        params |= {"prompt": "login", "max_age": "0"}
    return f"{AUTHORIZE}?{urlencode(params)}", pending


async def complete(
    svc: Services, params: dict[str, str], pending: PendingSignIn | None, *, source: str
) -> SignedIn:
    """Redeem the authorization response.

    Raises:
        InvalidRequest: no sign-in was started in this browser, ``state`` differs, the
            response is an error, or the ID Token does not check out.
        OAuthError: the token request failed (as for any client).
    """
    if pending is None:
        raise InvalidRequest("No sign-in to the account page was started in this browser")
    state = params.get("state", "")
    if not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise InvalidRequest("The sign-in response does not belong to this browser (state)")
    if "error" in params:
        raise InvalidRequest("The sign-in to the account page did not complete")
    code = params.get("code")
    if not code:
        raise InvalidRequest("The sign-in response has no code")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_uri(svc.issuer),
        "client_id": ACCOUNT_CLIENT_ID,
        "code_verifier": pending.verifier,
    }
    tokens = await token_endpoint.token(form, None, svc, source=source)
    _check_id_token(svc, str(tokens.get("id_token", "")), pending.nonce)
    return SignedIn(str(tokens["access_token"]), int(tokens["expires_in"]), pending.next_path)


def _check_id_token(svc: Services, id_token: str, nonce: str) -> None:
    try:
        claims = svc.keys.verify(id_token)
    except ValueError:
        raise InvalidRequest("The account page's ID Token is not valid") from None
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    exp = claims.get("exp")
    if (
        claims.get("iss") != svc.issuer
        or ACCOUNT_CLIENT_ID not in audiences
        or not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode())
        or not isinstance(exp, int | float)
        or exp <= svc.clock.now()
    ):
        raise InvalidRequest("The account page's ID Token does not match its sign-in")
