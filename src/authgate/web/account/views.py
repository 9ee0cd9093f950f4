"""The account page's routes: the page, its sign-in and callback, and its sign-out
(docs/account.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.core.account import service, signin
from authgate.core.account.client import ACCOUNT_PATH, CALLBACK_PATH
from authgate.core.account.signin import PendingSignIn
from authgate.core.mfa import factors
from authgate.core.selfservice.profile_paths import PROFILE_PAGE
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidRequest
from authgate.web.account import cookies, devices
from authgate.web.account.guard import (
    SIGN_IN_PATH,
    account_page,
    checked_form,
    require_account_user,
    see_other,
)
from authgate.web.account.identities import linked as linked_identities
from authgate.web.context import query, services
from authgate.web.i18n import N_
from authgate.web.pages import page
from authgate.web.responses import redirect
from authgate.web.source import source

#: The links of the page's Security section, shown only for the pages this server has.
SECURITY_LINKS = (
    ("/account/security/passkeys", N_("Passkeys"), "security-passkeys"),
    ("/account/security/authenticator", N_("Authenticator app"), "security-authenticator"),
    ("/account/security/recovery-codes", N_("Recovery codes"), "security-recovery-codes"),
)


def _routed_paths(request: Request) -> set[str]:
    return {getattr(route, "path", "") for route in request.app.routes}


@dataclass(frozen=True, slots=True)
class SESSIONS:
    """A login session as the page lists it."""

    sid: str
    device: str
    created: str
    last_used: str
    current: bool


@dataclass(frozen=True, slots=True)
class FactorSummary:
    """The user's factors as the Security section lists them (names only)."""

    passkeys: list[str]
    authenticators: list[str]
    recovery_codes_left: int


@dataclass(frozen=True, slots=True)
class AppRow:
    client_id: str
    name: str
    scope: tuple[str, ...]
    granted: str


def when(epoch: float | None) -> str:
    """A time as the page shows it (UTC, to the minute)."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def account(request: Request) -> Response:
    user = await require_account_user(request, recent=False)
    if isinstance(user, Response):
        return user
    svc = services(request)
    paths = _routed_paths(request)
    security = [link for link in SECURITY_LINKS if link[0] in paths]
    approvals = await service.connected_apps(svc, user.user_id)
    apps = [
        AppRow(a.client_id, a.client_name or a.client_id, a.scope, when(a.granted_at))
        for a in approvals
    ]
    sessions = []
    for session in await service.live_sessions(svc, user.user_id):
        current = session.sid == user.sid
        if current:
            await service.note_use(session, svc)
        last = svc.clock.now() if current else session.last_used_at
        sessions.append(
            SESSIONS(
                session.sid,
                devices.describe(session.user_agent),
                when(session.auth_time),
                when(last),
                current,
            )
        )
    enrolled = FactorSummary(
        passkeys=[p.name for p in await svc.passkeys.for_user(user.user_id)],
        authenticators=[f.label for f in await factors.authenticators(user.user_id, svc)],
        recovery_codes_left=await svc.factors.recovery_codes_left(user.user_id),
    )
    profile_link = PROFILE_PAGE if svc.config.current.selfServiceProfileChangesEnabled else None
    identities = [
        (row, when(row.linked_at), when(row.last_used_at))
        for row in await linked_identities(svc, user.user_id)
    ]
    return account_page(
        "account.html",
        user,
        security=security,
        factors=enrolled,
        apps=apps,
        sessions=sessions,
        profile_link=profile_link,
        identities=identities,
    )


async def revoke_app(request: Request) -> Response:
    """Revoke a connected app: its consent and, at once, its tokens for this user."""
    user = await require_account_user(request, recent=True)
    if isinstance(user, Response):
        return user
    params = await checked_form(request, user)
    client_id = params.get("client_id", "")
    if not client_id:
        raise InvalidRequest("Say which app to revoke (client_id)")
    svc = services(request)
    await service.revoke_app(svc, user.user_id, client_id, by="user", source=source(request))
    return see_other(ACCOUNT_PATH)


async def end_session(request: Request) -> Response:
    """End one of the user's login sessions, as logout does (back-channel logout included)."""
    user = await require_account_user(request, recent=True)
    if isinstance(user, Response):
        return user
    params = await checked_form(request, user)
    sid = params.get("sid", "")
    if not sid:
        raise InvalidRequest("Say which session to end (sid)")
    svc = services(request)
    if not await service.end_session(svc, user.user_id, sid, by="user", source=source(request)):
        raise InvalidRequest("No such session of yours is live")
    return see_other(ACCOUNT_PATH)


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
        Route("/account/apps/revoke", revoke_app, methods=["POST"]),
        Route("/account/sessions/end", end_session, methods=["POST"]),
    ]
