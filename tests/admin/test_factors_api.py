"""A user's factors and passkeys through the Config API (/mgt/configuser/{user}/factors and
/passkeys) on both databases: list without secrets, remove one, reset all, scopes, unknown
users, the audit log and security events; after a reset under mfaPolicy required, the user
is walked through enrolment at the next sign-in."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from authgate.admin import paths
from authgate.admin.scopes import USERS_READ
from authgate.core.mfa import enrolment
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api
from tests.conftest import patch_config
from tests.mfa_support import enrol_totp
from tests.support import PASSWORD, USERNAME, Flow, authorize_params, hidden_form, s256

USER = f"{paths.USERS}/{USERNAME}"


async def _enrolled(runtime: Runtime) -> tuple[str, str, list[str]]:
    """The user's id, TOTP seed and recovery codes, with one passkey too."""
    svc = runtime.services
    user = await svc.users.get_by_username(USERNAME)
    assert user is not None
    seed = await enrol_totp(svc, user)
    codes = await enrolment.new_recovery_codes(user.user_id, svc, source=None)
    passkey = PasskeyCredential(
        credential_id="cred-1",
        user_id=user.user_id,
        public_key="pQECAyYgASFYIPublicKeyMaterialNeverListed",
        sign_count=3,
        user_handle="aGFuZGxl",
        name="Security key",
        created_at=svc.clock.now(),
    )
    assert await svc.passkeys.add(passkey)
    return user.user_id, seed, codes


async def test_list_remove_and_reset(api: Api, runtime: Runtime) -> None:
    user_id, seed, codes = await _enrolled(runtime)
    listed = await api.get(f"{USER}/factors")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["user_id"], body["username"], body["recovery_codes_left"]) == (
        user_id, USERNAME, 10)  # fmt: skip
    [factor] = body["factors"]
    assert (factor["kind"], factor["confirmed"]) == ("totp", True)
    assert [p["name"] for p in body["passkeys"]] == ["Security key"]
    assert all(s not in listed.text for s in (seed, *codes, "PublicKeyMaterial"))
    assert (await api.get(f"{paths.USERS}/{user_id}/factors")).json() == body  # by id too
    passkeys = await api.get(f"{USER}/passkeys")
    assert [p["credential_id"] for p in passkeys.json()] == ["cred-1"]
    assert "public_key" not in passkeys.text

    assert (await api.delete(f"{USER}/factors/no-such")).status_code == 404
    assert (await api.delete(f"{USER}/factors/{factor['factor_id']}")).status_code == 204
    assert (await api.delete(f"{USER}/passkeys/no-such")).status_code == 404
    assert (await api.delete(f"{USER}/passkeys/cred-1")).status_code == 204
    after = (await api.get(f"{USER}/factors")).json()
    assert (after["factors"], after["passkeys"], after["recovery_codes_left"]) == ([], [], 10)

    reset = await api.delete(f"{USER}/factors")
    assert reset.status_code == 200
    assert reset.json() == {"removed": {"totp": 0, "webauthn": 0, "recovery": 10}}
    audit = (await api.get(paths.AUDIT, target_type="user")).json()
    assert [a["action"] for a in audit[:3]] == ["factors.reset", "passkey.remove", "factor.remove"]
    await runtime.services.events.flush()
    kinds = [e.kind for e in await runtime.services.events.list()]
    assert EventKind.FACTORS_REMOVED in kinds and EventKind.PASSKEY_REMOVED in kinds
    details = " ".join(e.detail for e in await runtime.services.events.list())
    assert "an administrator" in details and not any(c in details for c in codes)


async def test_scopes_and_unknown_users(
    http: httpx.AsyncClient, token_for: TokenFactory, api: Api
) -> None:
    readers = Api(http, await token_for(USERS_READ))
    assert (await readers.get(f"{USER}/factors")).status_code == 200
    assert (await readers.get(f"{USER}/passkeys")).status_code == 200
    assert (await readers.delete(f"{USER}/factors")).status_code == 403
    assert (await readers.delete(f"{USER}/passkeys/x")).status_code == 403
    assert (await readers.delete(f"{USER}/factors/x")).status_code == 403
    assert (await api.get(f"{paths.USERS}/nobody/factors")).status_code == 404
    assert (await api.get(f"{paths.USERS}/nobody/passkeys")).status_code == 404
    assert (await api.delete(f"{paths.USERS}/nobody/factors")).status_code == 404


async def test_after_a_reset_policy_walks_the_user_through_enrolment(
    api: Api, http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await _enrolled(runtime)
    await patch_config(runtime, mfaPolicy="required")
    client = await flow.register()

    async def sign_in() -> httpx.Response:
        http.cookies.clear()
        params = authorize_params(client["client_id"], s256("v" * 64), "S256")
        start = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
        login = await http.get(start.headers["location"])
        action, fields = hidden_form(login.text)
        posted = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
        assert posted.headers["location"].startswith("/jans-auth/factor.htm?ix=")
        return await http.get(posted.headers["location"])

    factor_page = await sign_in()
    assert factor_page.status_code == 200  # the enrolled factors are asked for
    assert 'id="use-webauthn"' in factor_page.text and 'id="use-recovery"' in factor_page.text
    assert (await api.delete(f"{USER}/factors")).status_code == 200
    walked = await sign_in()
    assert walked.status_code == 303
    assert walked.headers["location"].startswith("/jans-auth/enrol.htm?ix=")
    assert (await http.get(walked.headers["location"])).status_code == 200
