"""The device verification page's decisions (RFC 8628 §3.3): from a typed user code to the
user's answer.

1. :func:`find`: the user code (typed, or from ``verification_uri_complete``) is looked up
   under brute-force protection (:mod:`authgate.core.protection.user_codes`).
   :func:`start`: a live, pending request starts an *interaction*, the same one the
   authorization endpoint uses, bound to this browser and carrying a CSRF token. Its
   request names the device's client and scopes and the user code's hash. Without a login
   session the user signs in on the normal login page first
   (:mod:`authgate.core.authorize.interaction`, ``login``), which then sends the browser
   back to the device page (``advance`` answers ``NeedDeviceApproval``).
2. :func:`pending`: the page shows the client's name and the scopes of a request still
   pending and unexpired.
3. :func:`answer`: the interaction is closed (single use) and the answer recorded once
   (``pending`` to ``approved`` or ``denied``, a guarded write): one approval per code.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.core.authorize import interaction as flow
from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import NeedDeviceApproval, NeedLogin
from authgate.core.ports import Services
from authgate.core.protection import user_codes as protection
from authgate.core.security_events import EventKind, record
from authgate.core.types import (
    AuthorizationRequest,
    DeviceAuthorization,
    Interaction,
    LoginSession,
)
from authgate.errors import InteractionError

#: The response type recorded on a device verification's request (it is never issued).
DEVICE_RESPONSE_TYPE = "device_code"


class DeviceCodeUnusable(InteractionError):
    """The user code is known but its request expired or was already answered."""


@dataclass(frozen=True, slots=True)
class Started:
    """A device verification under way: its interaction, the browser-binding secret for the
    cookie, and the page to go to next."""

    interaction: Interaction
    browser_secret: str
    next: NeedLogin | NeedDeviceApproval


def _usable(request: DeviceAuthorization, svc: Services) -> DeviceAuthorization:
    if request.expired(svc.clock.now()):
        raise DeviceCodeUnusable("This code has expired. Start again on your device.")
    if request.status != "pending":
        raise DeviceCodeUnusable("This code has already been used.")
    return request


async def find(typed: str, svc: Services, *, source: str) -> DeviceAuthorization:
    """The pending, unexpired request of the user code ``typed``.

    Raises:
        UserCodeRejected: not a live code, or this source must wait.
        DeviceCodeUnusable: the code's request expired or was already answered.
        UnauthorizedClient: the device's client was deleted, disabled or expired since.
    """
    request = _usable(await protection.lookup(typed, svc, source=source), svc)
    await authorize.load_client(request.client_id, svc)
    return request


async def start(
    request: DeviceAuthorization,
    session: LoginSession | None,
    browser_secret: str | None,
    svc: Services,
) -> Started:
    """Open the interaction that approves ``request`` (from :func:`find`).

    Args:
        session: The browser's live login session, if any: the user then goes straight to
            the approval; otherwise to the login page.
    """
    auth_request = AuthorizationRequest(
        client_id=request.client_id,
        redirect_uri="",
        redirect_uri_given=False,
        response_type=DEVICE_RESPONSE_TYPE,
        scope=request.scope,
        user_code_hash=request.user_code_hash,
    )
    ix, secret = await flow.begin(auth_request, session, browser_secret, svc)
    return Started(ix, secret, NeedDeviceApproval() if session else NeedLogin())


async def pending(interaction: Interaction, svc: Services) -> DeviceAuthorization:
    """The request a device interaction approves, while it is pending and unexpired.

    Raises:
        InteractionError: not a device interaction, or its request is gone.
        DeviceCodeUnusable: the request expired or was answered meanwhile.
    """
    if interaction.request.user_code_hash is None:
        raise InteractionError("not a device verification")
    request = await svc.devices.find(interaction.request.user_code_hash)
    if request is None:
        raise InteractionError("the device authorization request is gone")
    return _usable(request, svc)


async def answer(
    interaction: Interaction,
    session: LoginSession,
    approved: bool,
    svc: Services,
    *,
    source: str | None = None,
) -> DeviceAuthorization:
    """Record the signed-in user's answer, once.

    Raises:
        InteractionError: the interaction was already completed (a replayed form).
        DeviceCodeUnusable: the request expired or was answered meanwhile (another tab).
    """
    request = await pending(interaction, svc)
    if not await svc.interactions.delete(interaction.interaction_id):
        raise InteractionError("the interaction was already completed")
    decided = await svc.devices.decide(
        request.user_code_hash,
        svc.clock.now(),
        approved=approved,
        user_id=session.user_id,
        auth_time=session.auth_time,
        acr=session.acr,
        amr=session.amr,
    )
    if not decided:
        raise DeviceCodeUnusable("This code has already been used or has expired.")
    if not approved:
        record(
            svc,
            EventKind.DEVICE_AUTHORIZATION_DENIED,
            source=source,
            client_id=request.client_id,
            user_id=session.user_id,
            detail="the user denied a device authorization request",
        )
    return request
