"""What a user (on the account page) or an administrator (Config API, CLI, TUI) sees and
does with the user's connected apps and login sessions (docs/account.md).

* Revoking an app deletes the user's consent for it and revokes, in the same transaction,
  every live access and refresh token the app holds for the user: a refresh token fails at
  once, an access token is inactive at introspection at once.
* Ending a session is logout, exactly as at the end_session endpoint
  (:func:`authgate.core.logout.end_session.logout`): the session is deleted, its online grants
  revoked, and its clients get back-channel Logout Tokens.

Both record a security event naming who did it (``by``: the user or an administrator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from authgate.core.account.client import is_first_party
from authgate.core.logout.end_session import logout
from authgate.core.ports import Services
from authgate.core.security_events import EventKind, record
from authgate.core.types import AppRevocation, Approval, LoginSession

#: Who acts: the user on the account page, or an administrator.
Actor = Literal["user", "administrator"]
#: A session's last use is written at most this often (seconds), not on every request.
TOUCH_INTERVAL = 60


@dataclass(frozen=True, slots=True)
class EndedSessions:
    """What ending sessions did."""

    ended: int


async def connected_apps(svc: Services, user_id: str) -> list[Approval]:
    """The apps the user approved, newest first (the server's own clients left out)."""
    return [a for a in await svc.account.approvals(user_id) if not is_first_party(a.client_id)]


async def revoke_app(
    svc: Services, user_id: str, client_id: str, *, by: Actor, source: str | None
) -> AppRevocation:
    """Revoke the user's approval of ``client_id`` and the client's tokens for the user.

    Nothing is recorded when there was nothing to revoke.
    """
    result = await svc.account.revoke_approval(user_id, client_id, svc.clock.now())
    app_revoked(svc, user_id, client_id, result, by=by, source=source)
    return result


def app_revoked(
    svc: Services,
    user_id: str,
    client_id: str,
    result: AppRevocation,
    *,
    by: Actor,
    source: str | None,
) -> None:
    """Record the security event of a revocation that revoked something."""
    if result.approval or result.tokens:
        record(svc, EventKind.APP_REVOKED, source=source, client_id=client_id,
               user_id=user_id, detail=f"revoked by the {by}")  # fmt: skip


async def revoke_all_apps(
    svc: Services, user_id: str, *, by: Actor, source: str | None
) -> list[str]:
    """Revoke every app the user approved; returns the client ids revoked."""
    revoked = []
    for approval in await connected_apps(svc, user_id):
        await revoke_app(svc, user_id, approval.client_id, by=by, source=source)
        revoked.append(approval.client_id)
    return revoked


async def live_sessions(svc: Services, user_id: str) -> list[LoginSession]:
    """The user's live login sessions, newest login first."""
    return await svc.account.sessions(user_id, svc.clock.now())


async def end_session(
    svc: Services, user_id: str, sid: str, *, by: Actor, source: str | None
) -> bool:
    """End the user's login session ``sid`` as logout does; False if the user has no such
    live session (another user's ``sid`` included)."""
    session = await svc.account.session_by_sid(sid)
    if session is None or session.user_id != user_id or session.expires_at <= svc.clock.now():
        return False
    await logout(session, svc)
    record(svc, EventKind.SESSION_ENDED, source=source, user_id=user_id,
           detail=f"ended by the {by}")  # fmt: skip
    return True


async def end_all_sessions(
    svc: Services, user_id: str, *, by: Actor, source: str | None
) -> EndedSessions:
    """End every live login session of the user, each as logout does."""
    ended = 0
    for session in await live_sessions(svc, user_id):
        if await end_session(svc, user_id, session.sid, by=by, source=source):
            ended += 1
    return EndedSessions(ended)


async def note_use(session: LoginSession, svc: Services) -> None:
    """Record that ``session`` served a request now, at most every :data:`TOUCH_INTERVAL`."""
    now = svc.clock.now()
    if session.last_used_at is None or now - session.last_used_at >= TOUCH_INTERVAL:
        await svc.account.touch(session.session_hash, now)
