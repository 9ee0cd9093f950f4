"""The second-factor step of the sign-in interaction.

The step runs for a user whose password this interaction has just checked (no session yet:
:func:`authgate.core.authorize.interaction.login` opens none when a second factor is due), or
for a live session that is weaker than the request needs (step-up: the session's password
stands, only the second factor is asked). Either way the user is known from the interaction,
which is bound to the browser.

Every answer is checked under brute-force protection (:mod:`authgate.core.protection`), like
the password: the counters of this user (the ``factor`` family, keyed by user id) from this
source, of this source, of this user (the lockout) and of this login page are read *before*
the answer is checked, a refused attempt is answered like a wrong code, and a wrong code
counts a failure. A success opens a session with the method's ``acr`` (``mfa`` for a code,
``phr``/``phrh`` for a passkey), or elevates the live one in place: same ``sid``, a new
cookie (no session fixation), the method's ``amr`` added, the higher of the two ``acr``.

The methods offered are those that reach the level the request needs (:func:`level_for`):
a request for ``phr`` offers the user's passkeys, not the authenticator app, so a sign-in
never loops on a factor that cannot satisfy it. ``acr_values`` are voluntary (OIDC Core
§3.1.2.1): what is asked is capped at what the user's factors can reach, unless the
``claims`` request marks ``acr`` essential.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from authgate.core.federation import first_factor
from authgate.core.mfa import acr, enrolment, methods
from authgate.core.mfa.methods import FactorContext, SecondFactorKind, Verified
from authgate.core.ports import Services
from authgate.core.protection import attempts, device, guard
from authgate.core.protection.policy import Standing
from authgate.core.security_events import EventKind, record
from authgate.core.types import AuthorizationRequest, Interaction, LoginSession, User
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import (
    FactorFailed,
    InteractionError,
    InteractionExhausted,
    UnmetAuthenticationRequirements,
)


@dataclass(frozen=True, slots=True)
class Pending:
    """Whose second factor an interaction waits for, and the live session it would
    strengthen (None: the password was checked in this interaction, no session yet)."""

    user: User
    session: LoginSession | None


async def needs_second_factor(user_id: str, request: AuthorizationRequest, svc: Services) -> bool:
    """After a correct password: whether the sign-in goes on to a second factor. It does
    when the request needs ``mfa`` (:func:`acr.required_level`) and whenever the user has
    enrolled a factor (an enrolled factor is always used)."""
    asked = acr.from_request(request)
    if acr.required_level(request.client_id, svc.config.current, asked) >= acr.MFA:
        return True
    return await methods.any_enrolled(user_id, svc)


async def level_for(request: AuthorizationRequest, user_id: str, svc: Services) -> int:
    """The level a sign-in of ``user_id`` for ``request`` must reach: what it asks, raised by
    policy (:func:`acr.required_level`); a voluntary request above ``mfa`` is capped at the
    best the user's enrolled factors reach.

    Raises:
        UnmetAuthenticationRequirements: see :func:`acr.requested_level`; or the request
            marks ``acr`` essential and the user's factors cannot reach it.
    """
    asked = acr.from_request(request)
    level = acr.required_level(request.client_id, svc.config.current, asked)
    if level > acr.MFA:
        reachable = await methods.reachable_level(user_id, svc)
        if level > reachable and asked.essential:
            raise UnmetAuthenticationRequirements(
                "The user has no factor that reaches the requested authentication context"
            )
        level = max(acr.MFA, min(level, reachable))
    return level


async def usable_methods(
    interaction: Interaction, user_id: str, svc: Services
) -> list[SecondFactorKind]:
    """The methods the factor page offers: the user's enrolled ones that reach the level
    the request needs (:func:`level_for`)."""
    try:
        level = await level_for(interaction.request, user_id, svc)
    except UnmetAuthenticationRequirements:
        # an essential context out of the user's reach: the sign-in goes on with what the
        # user has, and the authorization then answers the client with the error
        return await methods.offered(user_id, svc)
    return await methods.usable(user_id, level, svc)


async def pending(interaction: Interaction, svc: Services) -> Pending:
    """The user the interaction's second-factor step is for.

    Raises:
        InteractionError: no password was checked in this interaction and it runs under no
            live session, or the user is gone or disabled.
    """
    if interaction.user_id is None:
        raise InteractionError("no user has signed in in this interaction")
    session = None
    if interaction.session_hash is not None:
        session = await svc.sessions.get(interaction.session_hash)
        if session is None or session.expires_at <= svc.clock.now():
            raise InteractionError("the login session has ended")
        if session.user_id != interaction.user_id:
            raise InteractionError("the login session is another user's")
    elif not interaction.login_done:
        raise InteractionError("no password was checked in this interaction")
    user = await svc.users.get(interaction.user_id)
    if user is None or not user.enabled:
        raise InteractionError("the user can no longer sign in")
    return Pending(user, session)


async def verify(
    interaction: Interaction,
    kind: str,
    response: Mapping[str, str],
    svc: Services,
    *,
    source: str = attempts.UNKNOWN_SOURCE,
    devices: str | None = None,
) -> tuple[Interaction, LoginSession, str]:
    """Check the user's answer with the method ``kind``; on success open or elevate the
    session.

    Returns:
        The updated interaction, the session and the new session cookie value.

    Raises:
        FactorFailed: a wrong or used answer, a method the user has not enrolled, or an
            attempt refused by brute-force protection (indistinguishable but for the wait).
        InteractionExhausted: the page used up its attempts; the interaction is deleted.
        InteractionError: see :func:`pending`.
    """
    who = await pending(interaction, svc)
    user_id = who.user.user_id
    method = methods.method(kind)
    context = FactorContext(user_id, interaction.interaction_id, source)
    verified: Verified | None = None

    async def check() -> bool:
        nonlocal verified
        if method is None or not await method.enrolled(user_id, svc):
            return False
        verified = await method.verify(context, response, svc)
        return verified is not None

    await _guarded(interaction, user_id, check, svc, source=source, devices=devices, what=kind)
    assert method is not None and verified is not None  # check() passed
    record(svc, EventKind.FACTOR_SUCCEEDED, source=source, user_id=user_id, detail=kind)
    if method.kind == SecondFactorKind.RECOVERY:
        left = await svc.factors.recovery_codes_left(user_id)
        record(svc, EventKind.RECOVERY_CODE_USED, source=source, user_id=user_id,
               detail=f"{left} recovery codes left")  # fmt: skip
    return await _complete(interaction, who, verified, svc)


async def start_enrolment(interaction: Interaction, svc: Services) -> enrolment.TotpEnrolment:
    """The TOTP enrolment of the interaction's user, who has no factor yet.

    Raises:
        InteractionError: see :func:`pending`; or the user already has a factor (a second
            one is added from the account, after signing in with the first).
    """
    who = await pending(interaction, svc)
    if await methods.any_enrolled(who.user.user_id, svc):
        raise InteractionError("the user already has a second factor")
    return await enrolment.start_totp(who.user, svc)


async def enrol(
    interaction: Interaction,
    code: str,
    svc: Services,
    *,
    source: str = attempts.UNKNOWN_SOURCE,
    devices: str | None = None,
) -> tuple[Interaction, LoginSession, str, list[str]]:
    """Confirm the pending TOTP enrolment with a first code (under brute-force protection,
    as :func:`verify`), make the recovery codes and open or elevate the session.

    Returns:
        The updated interaction, the session, the new session cookie value, and the
        recovery codes to show once.

    Raises:
        FactorFailed, InteractionExhausted, InteractionError: as :func:`verify`; also when
            the user already has a factor.
    """
    who = await pending(interaction, svc)
    user_id = who.user.user_id
    if await methods.any_enrolled(user_id, svc):
        raise InteractionError("the user already has a second factor")

    async def check() -> bool:
        return await enrolment.confirm_totp(user_id, code, svc, source=source)

    await _guarded(
        interaction, user_id, check, svc, source=source, devices=devices, what="totp enrolment"
    )
    codes = await enrolment.new_recovery_codes(user_id, svc, source=source)
    totp = Verified(methods.METHODS[SecondFactorKind.TOTP].amr)
    updated, session, cookie = await _complete(interaction, who, totp, svc)
    return updated, session, cookie, codes


async def _guarded(
    interaction: Interaction,
    user_id: str,
    check: Callable[[], Awaitable[bool]],
    svc: Services,
    *,
    source: str,
    devices: str | None,
    what: str,
) -> None:
    trusted = device.trusted(devices, user_id, svc)
    attempt = attempts.attempt(
        attempts.FACTOR,
        user_id,
        source,
        device=trusted,
        interaction=interaction.interaction_id,
    )
    standing = await guard.screen(attempt, svc, fresh=True)
    if standing.exhausted:
        await svc.interactions.delete(interaction.interaction_id)
        raise InteractionExhausted()
    if standing.retry_after:
        raise FactorFailed(retry_after=standing.retry_after)
    if standing.locked_until is not None:
        raise FactorFailed()
    if not await check():
        after = await guard.failed(attempt, svc, user_id=user_id)
        _failure_events(svc, source, user_id, what, standing, after)
        raise FactorFailed(retry_after=after.retry_after or None)
    await guard.succeeded(standing, svc)


def _failure_events(
    svc: Services, source: str, user_id: str, what: str, before: Standing, after: Standing
) -> None:
    record(svc, EventKind.FACTOR_FAILED, source=source, user_id=user_id,
           detail=f"wrong or used {what} code")  # fmt: skip
    if after.retry_after:
        record(svc, EventKind.FACTOR_THROTTLED, source=source, user_id=user_id,
               detail=f"next attempt from this source waits {after.retry_after} s")  # fmt: skip
    if after.locked_until is not None and before.locked_until is None:
        record(svc, EventKind.LOCKOUT, source=source, user_id=user_id,
               detail="second factor locked after repeated failures")  # fmt: skip


#: RFC 8176 values of a possession factor that can also sign in alone (a passkey).
_KEYS = frozenset({"hwk", "swk"})


def _same_factor(session: LoginSession, verified: Verified) -> bool:
    """Whether the answer is the same kind of factor the session was opened with (a passkey
    after a passwordless passkey sign-in)."""
    return (
        verified.alone is not None
        and acr.AMR_PASSWORD not in session.amr
        and bool(_KEYS & set(session.amr))
        and bool(_KEYS & set(verified.amr))
    )


async def _complete(
    interaction: Interaction, who: Pending, verified: Verified, svc: Services
) -> tuple[Interaction, LoginSession, str]:
    now = int(svc.clock.now())
    cookie = new_handle()
    if who.session is None:
        session = LoginSession(
            session_hash=handle_hash(cookie),
            sid=str(uuid.uuid4()),
            user_id=who.user.user_id,
            auth_time=now,
            expires_at=now + svc.config.current.sessionIdLifetime,
            acr=verified.acr,
            amr=acr.with_second_factor(
                await first_factor.amr_of(interaction, who.user.user_id, svc), verified.amr
            ),
        )
        await svc.sessions.add(session)
    else:
        if _same_factor(who.session, verified):
            # a passkey on top of a passkey session: the same kind of factor, not a second
            # one; the session reaches what this passkey reaches alone, and no "mfa"
            stronger = acr.stronger(who.session.acr, verified.alone or who.session.acr)
            amr = acr.combine(who.session.amr, verified.amr)
        else:
            stronger = acr.stronger(who.session.acr, verified.acr)
            amr = acr.with_second_factor(who.session.amr, verified.amr)
        session = dataclasses.replace(
            who.session,
            session_hash=handle_hash(cookie),
            acr=stronger,
            amr=amr,
            auth_time=now,
        )
        if not await svc.sessions.elevate(who.session.session_hash, session):
            raise InteractionError("the login session has ended")
    updated = dataclasses.replace(
        interaction, user_id=who.user.user_id, session_hash=session.session_hash, login_done=True
    )
    await svc.interactions.replace(updated)
    return updated, session, cookie
