"""Signing in with a passkey instead of a password, on the login page (the passkey as a
second factor after the password is :mod:`.factor`, a method of the second-factor step).

Both run under the brute-force protection of passwords (:mod:`authgate.core.protection`):
the attempt is counted on the account of the passkey's owner (or, for a passkey authgate
does not know, on the credential id), on the source address and on the login page's
interaction, and is refused before any check while the source must wait or the page is out
of attempts. Every refusal is a ``passkey_failed`` security event naming its reason.

The session records how the user signed in (RFC 8176 ``amr``): ``hwk`` for a key bound to
one authenticator, ``swk`` for a synced one, ``user`` when the authenticator verified the
user; and the ``acr`` ``phrh`` (phishing-resistant, hardware-protected) or ``phr``
(phishing-resistant) when the user was verified, else ``simple_password_auth`` (one factor).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from authgate.core.mfa import acr as acr_levels
from authgate.core.mfa import step
from authgate.core.mfa.methods import FactorContext
from authgate.core.passkeys import ceremony, challenges, factor
from authgate.core.passkeys.ceremony import CredentialUse
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected, Reason
from authgate.core.ports import Services
from authgate.core.protection import attempts, guard
from authgate.core.security_events import EventKind, record
from authgate.core.types import Interaction, LoginSession, User
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import InteractionExhausted

#: acr of a sign-in with a passkey bound to one authenticator (phishing-resistant and
#: hardware-protected) and with a synced passkey (phishing-resistant).
PASSKEY_HARDWARE_ACR = acr_levels.PASSKEY_HARDWARE_ACR
PASSKEY_ACR = acr_levels.PASSKEY_ACR
PASSKEY_ACRS = (PASSKEY_HARDWARE_ACR, PASSKEY_ACR)


def login_options(interaction: Interaction, svc: Services) -> dict[str, Any]:
    """Options for a discoverable-credential sign-in on the interaction's login page."""
    challenge = challenges.issue(svc, challenges.LOGIN, interaction.interaction_id)
    return ceremony.authentication_options(svc, challenge)


async def second_factor_options(interaction: Interaction, svc: Services) -> dict[str, Any]:
    """Options for the second factor (:mod:`.factor`): the passkeys of the user whose
    second factor the interaction awaits, after a password or to step a session up.

    Raises:
        InteractionError: the interaction awaits no second factor
            (:func:`authgate.core.mfa.step.pending`).
    """
    who = await step.pending(interaction, svc)
    return await factor.options(FactorContext(who.user.user_id, interaction.interaction_id), svc)


def _attempt(
    credential_id: str, user: User | None, source: str, page: str | None, svc: Services
) -> attempts.Attempt:
    subject = (
        attempts.account_subject(user.username, svc.config.current)
        if user is not None
        else "passkey:" + credential_id
    )
    return attempts.attempt(attempts.LOGIN, subject, source, interaction=page)


async def checked_assertion(
    response: Mapping[str, Any] | str,
    svc: Services,
    *,
    purpose: str,
    binding: str,
    user_id: str | None,
    source: str | None,
    page: str | None = None,
) -> tuple[User, CredentialUse]:
    """An assertion checked under brute-force protection: its challenge redeemed (issued
    for ``purpose`` and ``binding``), the passkey verified (``user_id``'s own, unless None)
    and its use recorded. ``page`` is the login page's interaction, whose attempts count.

    Returns:
        The passkey's owner (enabled) and the verified use.

    Raises:
        PasskeyRejected, PasskeyMalformed: refused (each a ``passkey_failed`` event).
        InteractionExhausted: ``page`` used up its attempts (the caller ends it).
    """
    origin = source or attempts.UNKNOWN_SOURCE
    try:
        credential = ceremony.parse_assertion(response)
    except PasskeyMalformed as exc:  # recorded, not counted: it names no credential
        _failed_event(svc, source, None, exc.why)
        raise
    credential_id = ceremony.b64url(credential.raw_id)
    stored = await svc.passkeys.get(credential_id)
    owner = await svc.users.get(stored.user_id) if stored is not None else None
    attempt = _attempt(credential_id, owner, origin, page, svc)
    standing = await guard.screen(attempt, svc, fresh=True)
    if standing.exhausted:
        raise InteractionExhausted()
    if standing.retry_after or standing.locked_until is not None:
        _failed_event(svc, source, owner, Reason.THROTTLED)
        raise PasskeyRejected(Reason.THROTTLED, retry_after=standing.retry_after or None)
    try:
        expected = await challenges.redeem(
            svc,
            ceremony.client_challenge(credential.response.client_data_json),
            purpose,
            binding,
        )
        if stored is not None and (owner is None or not owner.enabled):
            raise PasskeyRejected(Reason.REFUSED)
        use = await ceremony.verify_assertion(user_id, credential, expected, svc)
    except (PasskeyRejected, PasskeyMalformed) as exc:
        after = await guard.failed(attempt, svc, user_id=owner.user_id if owner else None)
        _failed_event(svc, source, owner, exc.why)
        if after.retry_after and isinstance(exc, PasskeyRejected):
            raise PasskeyRejected(exc.why, retry_after=after.retry_after) from exc
        raise
    await guard.succeeded(standing, svc)
    assert owner is not None  # verify_assertion found the passkey, whose owner is enabled
    return owner, use


async def _checked(
    interaction: Interaction,
    response: Mapping[str, Any] | str,
    svc: Services,
    *,
    purpose: str,
    user_id: str | None,
    source: str,
) -> tuple[User, CredentialUse]:
    try:
        return await checked_assertion(
            response,
            svc,
            purpose=purpose,
            binding=interaction.interaction_id,
            user_id=user_id,
            source=source,
            page=interaction.interaction_id,
        )
    except InteractionExhausted:
        await svc.interactions.delete(interaction.interaction_id)
        raise


def _failed_event(svc: Services, source: str | None, user: User | None, reason: Reason) -> None:
    record(
        svc,
        EventKind.PASSKEY_FAILED,
        source=source,
        user_id=user.user_id if user else None,
        detail=f"passkey refused: {reason.value}",
    )


async def _open_session(
    interaction: Interaction, user: User, acr: str, amr: tuple[str, ...], svc: Services
) -> tuple[Interaction, LoginSession, str]:
    now = int(svc.clock.now())
    cookie_value = new_handle()
    session = LoginSession(
        session_hash=handle_hash(cookie_value),
        sid=str(uuid.uuid4()),
        user_id=user.user_id,
        auth_time=now,
        expires_at=now + svc.config.current.sessionIdLifetime,
        acr=acr,
        amr=amr,
    )
    await svc.sessions.add(session)
    updated = dataclasses.replace(
        interaction, user_id=user.user_id, session_hash=session.session_hash, login_done=True
    )
    await svc.interactions.replace(updated)
    return updated, session, cookie_value


def acr_of(use: CredentialUse) -> str:
    """The context of a passwordless sign-in: ``phrh``/``phr`` when the authenticator
    verified the user (two factors in one: the key and a PIN or biometric), else a single
    factor, ``simple_password_auth`` (the lowest level; docs/sign-in.md)."""
    return factor.passwordless_acr(use)


async def sign_in(
    interaction: Interaction,
    response: Mapping[str, Any] | str,
    svc: Services,
    *,
    source: str = attempts.UNKNOWN_SOURCE,
) -> tuple[Interaction, LoginSession, str]:
    """Sign in with a discoverable passkey on the login page (no username, no password).

    Returns:
        The updated interaction, the new session and the session cookie value.

    Raises:
        PasskeyRejected, PasskeyMalformed: the assertion does not verify, or was refused.
        InteractionExhausted: the page used up its attempts; the interaction is deleted.
    """
    user, use = await _checked(
        interaction, response, svc, purpose=challenges.LOGIN, user_id=None, source=source
    )
    record(svc, EventKind.LOGIN_SUCCEEDED, source=source, user_id=user.user_id,
           detail="passkey login")  # fmt: skip
    return await _open_session(interaction, user, acr_of(use), use.amr, svc)
