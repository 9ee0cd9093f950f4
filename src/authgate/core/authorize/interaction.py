"""Login and consent interactions: the user-facing steps of an authorization request.

An interaction stores the validated request server-side, is bound to the browser that
started it (a cookie whose hash it keeps) and carries a CSRF token for its forms. It is
single use: finishing it deletes it, so a replayed form post gets an error page.
"""

from __future__ import annotations

import dataclasses
import hmac
import uuid

from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import (
    Approved,
    AuthorizationResponse,
    NeedConsent,
    NeedDeviceApproval,
    NeedLogin,
    NeedSecondFactor,
)
from authgate.core.mfa import acr
from authgate.core.mfa import step as second_factor
from authgate.core.ports import Services
from authgate.core.protection import login as password_login
from authgate.core.protection.attempts import UNKNOWN_SOURCE
from authgate.core.types import AuthorizationRequest, Interaction, LoginSession
from authgate.crypto.handles import handle_hash, hash_matches, new_handle
from authgate.errors import (
    CsrfError,
    InteractionError,
    InteractionExhausted,
    LoginFailed,
    RedirectError,
    UnauthorizedClient,
)

#: Authentication context of the built-in username/password login (Janssen's stock ACR).
PASSWORD_ACR = acr.PASSWORD_ACR
PASSWORD_AMR = (acr.AMR_PASSWORD,)


class SecondFactorRequired(Exception):
    """The password was right, and the sign-in goes on to a second factor: no session is
    open yet. ``interaction`` records whose password was checked."""

    def __init__(self, interaction: Interaction) -> None:
        super().__init__("a second factor is required")
        self.interaction = interaction


async def begin(
    request: AuthorizationRequest,
    session: LoginSession | None,
    browser_secret: str | None,
    svc: Services,
) -> tuple[Interaction, str]:
    """Start an interaction; returns it and the browser-binding secret for the cookie."""
    now = int(svc.clock.now())
    secret = browser_secret or new_handle()
    interaction = Interaction(
        interaction_id=new_handle(),
        browser_hash=handle_hash(secret),
        csrf_token=new_handle(),
        request=request,
        expires_at=now + svc.config.current.sessionIdUnauthenticatedUnusedLifetime,
        user_id=session.user_id if session else None,
        session_hash=session.session_hash if session else None,
        created_at=now,
    )
    await svc.interactions.add(interaction)
    return interaction, secret


async def load(
    interaction_id: str | None, browser_secret: str | None, svc: Services
) -> Interaction:
    """The interaction, if it exists, is unexpired and belongs to this browser.

    Raises:
        InteractionError: otherwise (the same error for every case).
    """
    if not interaction_id or not browser_secret:
        raise InteractionError("missing interaction or browser binding")
    interaction = await svc.interactions.get(interaction_id)
    if interaction is None or interaction.expires_at <= svc.clock.now():
        raise InteractionError("unknown or expired interaction")
    if not hash_matches(browser_secret, interaction.browser_hash):
        raise InteractionError("interaction started in another browser")
    return interaction


def check_csrf(interaction: Interaction, token: str | None) -> None:
    """Raises CsrfError unless ``token`` is the interaction's CSRF token."""
    if not token or not hmac.compare_digest(token.encode(), interaction.csrf_token.encode()):
        raise CsrfError("CSRF token missing or wrong")


async def login(
    interaction: Interaction,
    username: str,
    password: str,
    svc: Services,
    *,
    source: str = UNKNOWN_SOURCE,
    devices: str | None = None,
    user_agent: str = "",
) -> tuple[Interaction, LoginSession, str]:
    """Check the credentials under brute-force protection and open a login session.

    Args:
        source: The request's source address (what failures are counted under).
        devices: The browser's device cookie, if any (:mod:`authgate.core.protection.device`).
        user_agent: The browser's User-Agent, kept with the session for the account page.

    Returns:
        The updated interaction, the new session and the session cookie value.

    Raises:
        LoginFailed: wrong username or password, a disabled user, or an attempt refused by
            brute-force protection (indistinguishable, but for how long to wait).
        InteractionExhausted: the page used up its attempts; the interaction is deleted.
        SecondFactorRequired: the password is right but the user has enrolled a second factor
            or the request needs one (:func:`authgate.core.mfa.step.needs_second_factor`); no
            session is opened.
    """
    try:
        user = await password_login.verify_password(
            username,
            password,
            svc,
            source=source,
            devices=devices,
            interaction_id=interaction.interaction_id,
        )
    except InteractionExhausted:
        await svc.interactions.delete(interaction.interaction_id)
        raise
    if await second_factor.needs_second_factor(user.user_id, interaction.request, svc):
        waiting = dataclasses.replace(
            interaction, user_id=user.user_id, session_hash=None, login_done=True
        )
        await svc.interactions.replace(waiting)
        raise SecondFactorRequired(waiting)
    now = int(svc.clock.now())
    cookie_value = new_handle()
    session = LoginSession(
        session_hash=handle_hash(cookie_value),
        sid=str(uuid.uuid4()),
        user_id=user.user_id,
        auth_time=now,
        expires_at=now + svc.config.current.sessionIdLifetime,
        acr=PASSWORD_ACR,
        amr=PASSWORD_AMR,
        user_agent=user_agent,
        last_used_at=now,
    )
    await svc.sessions.add(session)
    updated = dataclasses.replace(
        interaction, user_id=user.user_id, session_hash=session.session_hash, login_done=True
    )
    await svc.interactions.replace(updated)
    return updated, session, cookie_value


async def session_of(interaction: Interaction, svc: Services) -> LoginSession:
    """The login session the interaction runs under (still valid), or InteractionError."""
    if interaction.session_hash is None:
        raise InteractionError("the interaction has no login session yet")
    session = await svc.sessions.get(interaction.session_hash)
    if session is None or session.expires_at <= svc.clock.now():
        raise InteractionError("the login session has ended")
    return session


Next = NeedLogin | NeedSecondFactor | NeedConsent | NeedDeviceApproval | AuthorizationResponse


def for_device(interaction: Interaction) -> bool:
    """Whether the interaction was started by the device verification page (RFC 8628 §3.3):
    it ends with the user's answer on that page, never with an authorization response."""
    return interaction.request.user_code_hash is not None


async def advance(
    interaction: Interaction, session: LoginSession, svc: Services, *, consented: bool = False
) -> Next:
    """After a login or consent step: the next page, or the final response to the client.

    Raises:
        RedirectError: the request ends in an error for the client.
    """
    if for_device(interaction):
        # The device's client gets tokens: its second-factor policy applies here too.
        level = acr.required_level(interaction.request.client_id, svc.config.current)
        if not acr.satisfies(session.acr, level):
            return NeedSecondFactor()
        return NeedDeviceApproval()
    state = await svc.sessions.state(session.session_hash, interaction.request.client_id)
    decision = await authorize.decide(
        interaction.request, state, svc, fresh_login=interaction.login_done, consented=consented
    )
    if isinstance(decision, NeedLogin | NeedSecondFactor | NeedConsent):
        return decision
    assert isinstance(decision, Approved)
    return await finish(interaction, session, svc)


async def finish(
    interaction: Interaction, session: LoginSession, svc: Services
) -> AuthorizationResponse:
    """Close the interaction (single use) and issue the response."""
    if for_device(interaction):
        raise InteractionError("a device verification is answered on the device page")
    if not await svc.interactions.delete(interaction.interaction_id):
        raise InteractionError("the interaction was already completed")
    client = await authorize.load_client(interaction.request.client_id, svc)
    return await authorize.issue(interaction.request, session, client, svc)


async def consent(
    interaction: Interaction, session: LoginSession, approved: bool, svc: Services
) -> AuthorizationResponse:
    """Record the user's answer on the consent page and finish.

    The client is looked up again first: it may have been deleted, disabled or expired while
    the page was shown, and then its redirect URI is no longer one to send the browser to.

    Raises:
        RedirectError: ``access_denied`` when the user refused (an OAuthError for the error
            page when the client may not receive it, :mod:`.error_redirect`).
        UnauthorizedClient: the client is gone (an error page, no redirect); the interaction
            is closed and no consent is recorded.
    """
    request = interaction.request
    if for_device(interaction):
        raise InteractionError("a device verification is answered on the device page")
    try:
        await authorize.load_client(request.client_id, svc)
    except UnauthorizedClient:
        await svc.interactions.delete(interaction.interaction_id)
        raise
    if not approved:
        if not await svc.interactions.delete(interaction.interaction_id):
            raise InteractionError("the interaction was already completed")
        raise await authorize.deny(request, session, svc)
    if svc.config.current.dynamicRegistrationPersistClientAuthorizations and not (
        await svc.consents.grant(session.user_id, request.client_id, request.scope, svc.clock.now())
    ):
        await svc.interactions.delete(interaction.interaction_id)
        raise UnauthorizedClient("Unknown, disabled or expired client_id")
    return await finish(interaction, session, svc)


__all__ = [
    "LoginFailed",
    "RedirectError",
    "SecondFactorRequired",
    "advance",
    "begin",
    "check_csrf",
    "consent",
    "finish",
    "for_device",
    "load",
    "login",
    "session_of",
]
