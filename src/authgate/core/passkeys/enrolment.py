"""Adding, renaming and removing a signed-in user's passkeys (the account security page).

The page runs under the user's login session. Its forms carry a CSRF token derived from the
session (an HMAC of the session hash), so nothing is stored for it. Adding or removing a
passkey needs a recent sign-in: ``auth_time`` within :data:`RECENT_SIGN_IN` seconds.
Registration challenges are bound to the session and single use (:mod:`.challenges`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from authgate.core.passkeys import ceremony, challenges, signin
from authgate.core.passkeys.ceremony import CredentialUse
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected, Reason
from authgate.core.ports import Services
from authgate.core.security_events import EventKind, record
from authgate.core.types import LoginSession, User

#: How recent a sign-in must be to add or remove a passkey (seconds).
RECENT_SIGN_IN = 300


def csrf_token(session: LoginSession, svc: Services) -> str:
    """The account page's CSRF token for this session."""
    secret = svc.config.current.pairwiseCalculationKey.encode("utf-8")
    key = hmac.new(secret, b"authgate account csrf v1", hashlib.sha256).digest()
    return hmac.new(key, session.session_hash.encode(), hashlib.sha256).hexdigest()


def csrf_ok(session: LoginSession, token: str | None, svc: Services) -> bool:
    return bool(token) and hmac.compare_digest(
        (token or "").encode(), csrf_token(session, svc).encode()
    )


def recent(session: LoginSession, svc: Services) -> bool:
    """Whether the session's sign-in is recent enough to add or remove a passkey."""
    return svc.clock.now() - session.auth_time <= RECENT_SIGN_IN


async def registration_options(session: LoginSession, user: User, svc: Services) -> dict[str, Any]:
    """Creation options for a new passkey of ``user`` (their passkeys excluded)."""
    challenge = challenges.issue(svc, challenges.REGISTER, session.session_hash)
    existing = await svc.passkeys.for_user(user.user_id)
    return ceremony.registration_options(svc, user, existing, challenge)


async def register(
    session: LoginSession,
    user: User,
    response: Mapping[str, Any] | str,
    name: str,
    svc: Services,
    *,
    source: str | None,
) -> PasskeyCredential:
    """Verify a registration response and store the new passkey.

    Raises:
        PasskeyRejected, PasskeyMalformed: it does not verify (another origin or RP id, a
            challenge of another session, replayed or expired), or the passkey is already
            registered. Each refusal is a ``passkey_failed`` event.
    """
    try:
        credential = ceremony.parse_registration(response)
        expected = await challenges.redeem(
            svc,
            ceremony.client_challenge(credential.response.client_data_json),
            challenges.REGISTER,
            session.session_hash,
        )
        passkey = ceremony.verify_registration(svc, user, credential, expected, name)
        if not await svc.passkeys.add(passkey):
            raise PasskeyRejected(Reason.ALREADY_REGISTERED)
    except (PasskeyRejected, PasskeyMalformed) as exc:
        record(svc, EventKind.PASSKEY_FAILED, source=source, user_id=user.user_id,
               detail=f"passkey registration refused: {exc.why.value}")  # fmt: skip
        raise
    record(svc, EventKind.PASSKEY_ADDED, source=source, user_id=user.user_id,
           detail="passkey added")  # fmt: skip
    return passkey


async def rename(user: User, credential_id: str, name: str, svc: Services) -> bool:
    """Rename one of the user's passkeys; False if they have no such passkey."""
    cleaned = ceremony.clean_name(name)
    if not cleaned:
        return False
    return await svc.passkeys.rename(user.user_id, credential_id, cleaned)


async def remove(
    user_id: str, credential_id: str, svc: Services, *, source: str | None, by: str = "user"
) -> bool:
    """Remove one of the user's passkeys (``by`` the user or an administrator); False if
    they have no such passkey. A removed passkey no longer signs in, at once."""
    removed = await svc.passkeys.remove(user_id, credential_id)
    if removed:
        record(svc, EventKind.PASSKEY_REMOVED, source=source, user_id=user_id,
               detail=f"passkey removed by {by}")  # fmt: skip
    return removed


async def confirm_options(session: LoginSession, user: User, svc: Services) -> dict[str, Any]:
    """Request options to confirm a sign-in with one of the user's passkeys (instead of the
    password), bound to the session."""
    challenge = challenges.issue(svc, challenges.CONFIRM, session.session_hash)
    allow = await svc.passkeys.for_user(user.user_id)
    return ceremony.authentication_options(svc, challenge, allow)


async def confirm(
    session: LoginSession,
    user: User,
    response: Mapping[str, Any] | str,
    svc: Services,
    *,
    source: str | None,
) -> CredentialUse:
    """Check one of the user's passkeys to confirm their sign-in, under brute-force
    protection like a sign-in.

    Raises:
        PasskeyRejected, PasskeyMalformed: refused (another user's passkey included).
    """
    _, use = await signin.checked_assertion(
        response,
        svc,
        purpose=challenges.CONFIRM,
        binding=session.session_hash,
        user_id=user.user_id,
        source=source,
    )
    return use
