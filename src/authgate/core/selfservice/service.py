"""The self-service flows (docs/self-service.md), over the ports: the web layer parses the
forms and renders the pages; everything decided is here.

Mailed links are random handles (:func:`authgate.crypto.handles.new_handle`) stored only as
their hash (:class:`~authgate.core.types.EmailLink`), each usable once and until it expires;
using one and applying its change are one guarded write
(:meth:`~authgate.core.ports.EmailLinkStore.verify_email`, ``reset_password``). A changed or
made-up link hashes to nothing stored, so it is refused like a used or expired one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from authgate.core.account import service as account_service
from authgate.core.ports import EmailLinkStore, Services
from authgate.core.protection import login as password_login
from authgate.core.security_events import EventKind, record
from authgate.core.selfservice import messages
from authgate.core.selfservice.policy import (
    Refused,
    check_email,
    check_name,
    check_password,
    check_username,
)
from authgate.core.types import EmailLink, Mail, User
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import LoginFailed

logger = logging.getLogger(__name__)

SIGN_UP_PATH = "/jans-auth/signup.htm"
VERIFY_PATH = "/jans-auth/verify-email.htm"
RESET_PATH = "/jans-auth/reset-password.htm"
SET_PASSWORD_PATH = "/jans-auth/set-password.htm"  # noqa: S105 (a path)

VERIFY = "verify"
RESET = "reset"

#: Background work of this process (reset requests), kept referenced until done.
_pending: set[asyncio.Task[None]] = set()
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, slots=True)
class SignUpForm:
    username: str
    email: str
    name: str
    password: str


def _links(svc: Services) -> EmailLinkStore:
    if svc.links is None:
        raise RuntimeError("self-service needs an EmailLinkStore in Services.links")
    return svc.links


def must_verify(svc: Services, user: User) -> bool:
    """Whether ``user`` may not sign in until the email address is verified: a user who
    signed up, while ``selfServiceEmailVerificationRequired`` is on (accounts an
    administrator made are never held back by it)."""
    return (
        svc.config.current.selfServiceEmailVerificationRequired
        and user.self_registered
        and not user.email_verified
    )


async def _hash(svc: Services, password: str) -> str:
    return await asyncio.to_thread(svc.passwords.hash, password)


async def _mail_link(
    svc: Services, purpose: str, user: User, email: str, *, source: str | None
) -> bool:
    """Store a new link for ``user`` and mail it to ``email``; False (nothing sent, an event
    recorded) when the address had its share of mails in the window."""
    async with _mail_lock():
        return await _mail_link_locked(svc, purpose, user, email, source=source)


def _mail_lock() -> asyncio.Lock:
    """This event loop's lock around counting and storing links: within a process the
    per-address limit holds exactly; across instances it may be passed by the requests that
    count at the same moment."""
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


async def _mail_link_locked(
    svc: Services, purpose: str, user: User, email: str, *, source: str | None
) -> bool:
    config = svc.config.current
    links = _links(svc)
    now = svc.clock.now()
    since = now - config.selfServiceMailWindowInSeconds
    if await links.sent_since(email, since) >= config.selfServiceMailsPerAddress:
        record(svc, EventKind.SELF_SERVICE_THROTTLED, source=source, user_id=user.user_id,
               detail=f"{purpose} mail not sent: too many to one address")  # fmt: skip
        return False
    token = new_handle()
    if purpose == VERIFY:
        lifetime = config.selfServiceVerificationLinkLifetime
        path, kind = VERIFY_PATH, "verify_email"
    else:
        lifetime = config.selfServiceResetLinkLifetime
        path, kind = SET_PASSWORD_PATH, "reset_password"
    stored = EmailLink(handle_hash(token), purpose, user.user_id, email, now, now + lifetime)
    await links.add(stored)
    link = f"{svc.issuer}{path}?token={token}"
    svc.mail.send(Mail(kind, email, user.name or user.username, link=link))
    event = EventKind.VERIFICATION_SENT if purpose == VERIFY else EventKind.RESET_REQUESTED
    record(svc, event, source=source, user_id=user.user_id, detail="link mailed")
    return True


async def sign_up(svc: Services, form: SignUpForm, *, source: str | None) -> User:
    """Create the account (its email not yet verified) and mail the verification link.

    Raises:
        Refused: a field is invalid, the password is refused, or the username is taken.
    """
    config = svc.config.current
    username = check_username(form.username)
    email = check_email(form.email)
    name = check_name(form.name)
    check_password(form.password, config, username=username, email=email)
    user = User(
        user_id=str(uuid.uuid4()),
        username=username,
        password_hash=await _hash(svc, form.password),
        email=email,
        email_verified=False,
        name=name or None,
        created_at=int(svc.clock.now()),
        self_registered=True,
    )
    if not await svc.users.add_if_free(user):
        raise Refused(messages.USERNAME_TAKEN, "username")
    record(svc, EventKind.SIGNED_UP, source=source, user_id=user.user_id, detail="self-service")
    await _mail_link(svc, VERIFY, user, email, source=source)
    return user


async def resend_verification(svc: Services, user: User, *, source: str | None) -> bool:
    """Mail a new verification link for the user's current, unverified address."""
    if not user.email or user.email_verified:
        return False
    return await _mail_link(svc, VERIFY, user, user.email, source=source)


async def live_link(svc: Services, token: str, purpose: str, *, source: str | None) -> EmailLink:
    """The unused, unexpired link of ``purpose`` this token is, or Refused (recorded)."""
    link = await _links(svc).get(handle_hash(token)) if token else None
    if (
        link is None
        or link.purpose != purpose
        or link.used_at is not None
        or link.expires_at <= svc.clock.now()
    ):
        record(svc, EventKind.SELF_SERVICE_LINK_REFUSED, source=source,
               user_id=link.user_id if link else None,
               detail=f"{purpose} link unknown, used or expired")  # fmt: skip
        raise Refused(messages.LINK_INVALID)
    return link


async def verify_email(svc: Services, token: str, *, source: str | None) -> User:
    """Use a verification link: its address becomes the user's verified email. When it
    replaces another address, that one gets a notice.

    Raises:
        Refused: the link is unknown, changed, used or expired (nothing changed).
    """
    link = await live_link(svc, token, VERIFY, source=source)
    before = await svc.users.get(link.user_id)
    used = await _links(svc).verify_email(link.link_hash, svc.clock.now())
    after = await svc.users.get(link.user_id)
    if used is None or before is None or after is None:
        record(svc, EventKind.SELF_SERVICE_LINK_REFUSED, source=source, user_id=link.user_id,
               detail="verify link used by another request")  # fmt: skip
        raise Refused(messages.LINK_INVALID)
    record(svc, EventKind.EMAIL_VERIFIED, source=source, user_id=after.user_id, detail="link used")
    old = before.email
    if old and old.lower() != link.email.lower():
        record(svc, EventKind.EMAIL_CHANGED, source=source, user_id=after.user_id,
               detail="new address verified")  # fmt: skip
        svc.mail.send(Mail("email_changed", old, after.name or after.username, detail=link.email))
    return after


def request_reset(svc: Services, identifier: str, *, source: str | None) -> None:
    """Start a password reset for the account named by ``identifier`` (username, or email
    address), in the background: the caller answers the same way, at once, whether or not
    there is such an account with an address."""
    task = asyncio.get_running_loop().create_task(_guarded(_reset(svc, identifier, source)))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _guarded(work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except Exception:
        logger.exception("a password reset request failed")


async def _reset(svc: Services, identifier: str, source: str | None) -> None:
    value = identifier.strip()
    user = await svc.users.get_by_username(value) if value else None
    if user is None and "@" in value:
        user = await svc.users.get_by_email(value)
    if user is None or not user.enabled or not user.email:
        record(svc, EventKind.RESET_REQUESTED, source=source,
               detail="no mail sent: no such account with an address")  # fmt: skip
        return
    await _mail_link(svc, RESET, user, user.email, source=source)


async def reset_password(
    svc: Services, token: str, password: str, repeated: str, *, source: str | None
) -> User:
    """Use a reset link: the new password is set, every token of the user revoked and other
    reset links used up (one write), then every login session of the user ended as logout
    does (back-channel logout included).

    Raises:
        Refused: the link is not live (nothing changed), or the password is refused.
    """
    link = await live_link(svc, token, RESET, source=source)
    user = await svc.users.get(link.user_id)
    if user is None:
        raise Refused(messages.LINK_INVALID)
    check_password(password, svc.config.current, username=user.username, email=user.email or "")
    if password != repeated:
        raise Refused(messages.PASSWORDS_DIFFER, "password2")
    used = await _links(svc).reset_password(link.link_hash, await _hash(svc, password),
                                            svc.clock.now())  # fmt: skip
    if used is None:
        record(svc, EventKind.SELF_SERVICE_LINK_REFUSED, source=source, user_id=link.user_id,
               detail="reset link used by another request")  # fmt: skip
        raise Refused(messages.LINK_INVALID)
    await account_service.end_all_sessions(svc, user.user_id, by="user", source=source)
    record(svc, EventKind.PASSWORD_RESET, source=source, user_id=user.user_id,
           detail="sessions ended, tokens revoked")  # fmt: skip
    return user


async def change_password(
    svc: Services,
    user: User,
    current: str,
    password: str,
    repeated: str,
    *,
    keep_sid: str,
    source: str,
) -> None:
    """Change the password (the current one checked under brute-force protection); the
    user's other login sessions end.

    Raises:
        Refused: the current password is wrong, or the new one is refused.
    """
    try:
        await password_login.verify_password(user.username, current, svc, source=source)
    except LoginFailed as exc:
        raise Refused(messages.CURRENT_PASSWORD_WRONG, "current") from exc
    check_password(password, svc.config.current, username=user.username, email=user.email or "")
    if password != repeated:
        raise Refused(messages.PASSWORDS_DIFFER, "password2")
    await svc.users.set_password(user.user_id, await _hash(svc, password))
    for session in await account_service.live_sessions(svc, user.user_id):
        if session.sid != keep_sid:
            await account_service.end_session(svc, user.user_id, session.sid, by="user",
                                              source=source)  # fmt: skip
    record(svc, EventKind.PASSWORD_CHANGED, source=source, user_id=user.user_id,
           detail="other sessions ended")  # fmt: skip


async def change_name(svc: Services, user: User, name: str, *, source: str | None) -> None:
    value = check_name(name)
    await svc.users.set_name(user.user_id, value)
    record(svc, EventKind.PROFILE_CHANGED, source=source, user_id=user.user_id, detail="name")


async def change_email(svc: Services, user: User, email: str, *, source: str | None) -> bool:
    """Mail a verification link to the new address; it replaces the current one only once
    the link is used. False when nothing was sent (too many mails to that address)."""
    value = check_email(email)
    if user.email and user.email.lower() == value.lower() and user.email_verified:
        raise Refused(messages.EMAIL_UNCHANGED, "email")
    return await _mail_link(svc, VERIFY, user, value, source=source)
