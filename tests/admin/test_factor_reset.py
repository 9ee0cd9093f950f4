"""The administrator's view and reset of a user's second factors (FactorAdmin), on SQLite and
PostgreSQL: nothing secret is shown, everything is removed, and the reset is a security
event (the sign-in after a reset: tests/core/mfa/test_step.py)."""

from __future__ import annotations

import pytest

from authgate.admin.context import Actor
from authgate.admin.errors import NotFound
from authgate.assembly import admin_service
from authgate.core.mfa import enrolment
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from tests.mfa_support import enrol_totp
from tests.support import USERNAME


async def test_list_and_reset_a_users_factors(runtime: Runtime) -> None:
    svc = runtime.services
    user = await svc.users.get_by_username(USERNAME)
    assert user is not None
    seed = await enrol_totp(svc, user)
    codes = await enrolment.new_recovery_codes(user.user_id, svc, source=None)
    factors = admin_service(runtime).factors

    listed = await factors.list(USERNAME)
    assert (listed.user_id, listed.username, listed.recovery_codes_left) == (
        user.user_id, USERNAME, 10)  # fmt: skip
    [factor] = listed.factors
    assert (factor.kind, factor.confirmed, factor.label) == ("totp", True, "Authenticator app")
    assert seed not in repr(listed) and codes[0] not in repr(listed)
    assert (await factors.list(user.user_id)) == listed  # by id too

    removed = await factors.reset(USERNAME, Actor("cli:operator"))
    assert removed == {"totp": 1, "webauthn": 0, "recovery": 10}
    after = await factors.list(USERNAME)
    assert (after.factors, after.recovery_codes_left) == ([], 0)
    await svc.events.flush()
    [event] = await svc.events.list(kind=EventKind.FACTORS_REMOVED)
    assert event.user_id == user.user_id
    assert event.detail == "reset by an administrator (cli:operator): totp 1, recovery 10"

    with pytest.raises(NotFound):
        await factors.reset("nobody", Actor("cli:operator"))
