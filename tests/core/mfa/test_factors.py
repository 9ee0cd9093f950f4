"""The account page's factor rules on memory services: who must use a second factor
(mfaPolicy required, or an approved client of mfaRequiredClients), and the last factor of
such a user kept; renaming and removing one authenticator app."""

from __future__ import annotations

import pytest

from authgate.core.mfa import factors
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.security_events import EventKind
from authgate.core.types import User
from tests.memory import StaticConfig, add_client, add_user, double, make_services
from tests.memory.doubles import RecordingSecurityEvents
from tests.mfa_support import enrol_totp


def _passkey(user: User) -> PasskeyCredential:
    return PasskeyCredential("cred-1", user.user_id, "key", 0, "aGFuZGxl", "Laptop", 0.0)


async def test_the_last_factor_is_kept_only_when_policy_requires_one() -> None:
    config = StaticConfig()
    svc = make_services(config=config)
    user = await add_user(svc)
    await enrol_totp(svc, user)
    [app] = await factors.authenticators(user.user_id, svc)
    assert not await factors.must_use_factor(user.user_id, svc)
    await factors.check_removal(user.user_id, svc)  # optional: may go

    required = await add_client(svc, client_id="payroll")
    config.update(mfaRequiredClients=[required.client_id])
    assert not await factors.must_use_factor(user.user_id, svc)  # not approved by the user
    assert await svc.consents.grant(user.user_id, required.client_id, ["openid"], 0)
    assert await factors.must_use_factor(user.user_id, svc)
    with pytest.raises(factors.LastFactorRequired):
        await factors.remove_authenticator(user.user_id, app.factor_id, svc, source=None)
    assert await svc.passkeys.add(_passkey(user))
    assert await factors.remove_authenticator(user.user_id, app.factor_id, svc, source=None)
    with pytest.raises(factors.LastFactorRequired):  # the passkey is the last one now
        await factors.check_removal(user.user_id, svc)

    config.update(mfaRequiredClients=[], mfaPolicy="required")
    assert await factors.must_use_factor(user.user_id, svc)
    kinds = [e.kind for e in double(svc.events, RecordingSecurityEvents).events]
    assert EventKind.FACTORS_REMOVED in kinds


async def test_rename_and_remove_touch_the_users_own_apps_only() -> None:
    svc = make_services()
    user = await add_user(svc)
    other = await add_user(svc, username="mallory")
    await enrol_totp(svc, user)
    [app] = await factors.authenticators(user.user_id, svc)
    assert await factors.rename_authenticator(user.user_id, app.factor_id, " My\tphone ", svc)
    assert (await factors.authenticators(user.user_id, svc))[0].label == "My phone"
    assert not await factors.rename_authenticator(user.user_id, app.factor_id, "  ", svc)
    assert not await factors.rename_authenticator(other.user_id, app.factor_id, "x", svc)
    assert not await factors.remove_authenticator(other.user_id, app.factor_id, svc, source=None)
    assert factors.clean_label("a" * 100) == "a" * factors.LABEL_MAX
    assert await factors.remove_authenticator(user.user_id, app.factor_id, svc, source=None)
    assert await factors.authenticators(user.user_id, svc) == []
