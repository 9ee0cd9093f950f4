"""PasskeyAdmin on both databases: list a user's passkeys by id or username, remove one, and
clear errors for an unknown user or passkey."""

from __future__ import annotations

import pytest

from authgate.admin.context import Actor
from authgate.admin.errors import NotFound
from authgate.admin.passkey_service import PasskeyAdmin, passkey_view
from authgate.assembly import admin_context
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from tests.support import USERNAME


async def test_an_administrator_lists_and_removes_a_users_passkey(runtime: Runtime) -> None:
    svc = runtime.services
    user = await svc.users.get_by_username(USERNAME)
    assert user is not None
    passkey = PasskeyCredential(
        credential_id="Y3JlZA",
        user_id=user.user_id,
        public_key="pQECAyYgAQ",
        sign_count=3,
        user_handle="aGFuZGxl",
        name="Phone",
        created_at=svc.clock.now(),
        transports=("hybrid",),
    )
    assert await svc.passkeys.add(passkey)
    admin = PasskeyAdmin(admin_context(runtime))
    assert await admin.list(USERNAME) == [passkey]
    assert await admin.list(user.user_id) == [passkey]
    assert "public_key" not in passkey_view(passkey)

    with pytest.raises(NotFound):
        await admin.remove(USERNAME, "bm9uZQ", Actor("cli:ops"))
    with pytest.raises(NotFound):
        await admin.list("nobody")
    await admin.remove(USERNAME, "Y3JlZA", Actor("cli:ops", "192.0.2.9"))
    assert await admin.list(USERNAME) == []
    await svc.events.flush()
    [event] = await svc.events.list(kind=EventKind.PASSKEY_REMOVED)
    assert event.detail == "passkey removed by an administrator (cli:ops)"
    assert event.source == "192.0.2.9" and event.user_id == user.user_id
