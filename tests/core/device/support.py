"""Shortcuts for the device flow on memory services: a device client, a device authorization
request as the endpoint answers it, a user's answer as the verification page records it, and
the token request a device polls with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.appconfig import DEVICE_CODE_GRANT
from authgate.core.device import verification
from authgate.core.device.authorization import device_authorization
from authgate.core.ports import Services
from authgate.core.tokens.endpoint import token
from authgate.core.types import Client, LoginSession, User
from tests.memory import add_client, add_session, add_user

SOURCE = "198.51.100.7"


async def device_client(svc: Services, **metadata: Any) -> Client:
    """A public client of a device: the device_code and refresh_token grants, no redirect."""
    fields: dict[str, Any] = {
        "client_name": "Living Room TV",
        "grant_types": [DEVICE_CODE_GRANT, "refresh_token"],
        "response_types": [],
        "redirect_uris": [],
        "scope": ["openid", "profile", "offline_access"],
    }
    return await add_client(svc, **(fields | metadata))


async def request_device(svc: Services, client: Client, **form: str) -> dict[str, Any]:
    return await device_authorization({"client_id": client.client_id} | form, None, svc)


@dataclass(frozen=True, slots=True)
class Answered:
    user: User
    session: LoginSession


async def answer(
    svc: Services, user_code: str, *, approved: bool = True, user: User | None = None
) -> Answered:
    """Type ``user_code`` as a signed-in user and approve (or deny) it."""
    user = user or await add_user(svc, "device-owner")
    session, _cookie = await add_session(svc, user)
    found = await verification.find(user_code, svc, source=SOURCE)
    started = await verification.start(found, session, None, svc)
    await verification.answer(started.interaction, session, approved, svc, source=SOURCE)
    return Answered(user, session)


async def poll(svc: Services, client: Client, device_code: str) -> dict[str, Any]:
    form = {"grant_type": DEVICE_CODE_GRANT, "client_id": client.client_id}
    return await token(form | {"device_code": device_code}, None, svc)
