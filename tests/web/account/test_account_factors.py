"""The account page's factors over HTTP on both databases: an authenticator app added with
the QR enrolment (the code computed here with pyotp), renamed and removed; recovery codes
regenerated and shown once; the Security section listing the factors; removing the last
factor that policy requires refused, for an authenticator app and for a passkey alike; CSRF
and a recent sign-in for changes."""

from __future__ import annotations

import json
import re

import httpx

from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.mfa_support import code, wrong_code
from tests.passkey_authenticator import SoftAuthenticator
from tests.support import ISSUER, SQLITE_ONLY, USERNAME, FakeClock
from tests.web.account.support import csrf_of, sign_in

APPS = "/account/security/authenticator"
CODES = "/account/security/recovery-codes"
PASSKEYS = "/account/security/passkeys"
CODE_ITEM = r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>"


async def _add_app(http: httpx.AsyncClient, clock: FakeClock, name: str) -> httpx.Response:
    page = await http.get(f"{APPS}/add")
    assert page.status_code == 200, page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert re.search(r'<div class="qr" id="qr"><svg [^>]*class="segno"', page.text)
    seed = re.search(r'<code id="seed">([A-Z2-7 ]+)</code>', page.text)
    assert seed is not None
    secret = seed.group(1).replace(" ", "")
    csrf = csrf_of(page.text)
    wrong = await http.post(
        f"{APPS}/add", data={"csrf": csrf, "code": wrong_code(secret, clock.now())}
    )
    assert wrong.status_code == 400 and "That code is not valid" in wrong.text
    assert seed.group(1) in wrong.text  # the same pending enrolment, shown again
    return await http.post(
        f"{APPS}/add", data={"csrf": csrf, "code": code(secret, clock.now()), "name": name}
    )


def _factor_ids(html: str) -> list[str]:
    return re.findall(r'data-factor-id="([^"]+)"', html)


async def test_an_authenticator_app_is_added_renamed_and_removed(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    page = await sign_in(http)
    assert 'id="factor-authenticators"><span class="muted">none' in page.text
    listing = await http.get(APPS)
    assert listing.status_code == 200 and 'id="no-authenticators"' in listing.text
    added = await _add_app(http, clock, "My phone")
    assert added.status_code == 200
    assert "New recovery codes, shown once." in added.text  # the first factor brings codes
    codes = re.findall(CODE_ITEM, added.text)
    assert len(set(codes)) == 10
    listing = await http.get(APPS)
    [factor_id] = _factor_ids(listing.text)
    assert '<td class="authenticator-name">My phone</td>' in listing.text
    account = await http.get("/account")
    assert 'id="factor-authenticators">My phone<' in account.text
    assert 'id="factor-recovery-codes">10 unused' in account.text
    assert not re.search(CODE_ITEM, account.text)  # never shown again

    csrf = csrf_of(listing.text)
    renamed = await http.post(
        f"{APPS}/rename", data={"csrf": csrf, "factor_id": factor_id, "name": "  Work   phone "}
    )
    assert renamed.status_code == 303 and renamed.headers["location"] == f"{APPS}?done=renamed"
    assert '<td class="authenticator-name">Work phone</td>' in (await http.get(APPS)).text
    unknown = await http.post(
        f"{APPS}/rename", data={"csrf": csrf, "factor_id": "no-such", "name": "x"}
    )
    assert unknown.status_code == 400 and "No such authenticator app" in unknown.text
    no_csrf = await http.post(f"{APPS}/remove", data={"factor_id": factor_id})
    assert no_csrf.status_code == 403
    assert _factor_ids((await http.get(APPS)).text) == [factor_id]

    removed = await http.post(f"{APPS}/remove", data={"csrf": csrf, "factor_id": factor_id})
    assert removed.status_code == 303 and removed.headers["location"] == f"{APPS}?done=removed"
    assert _factor_ids((await http.get(APPS)).text) == []
    gone = await http.post(f"{APPS}/remove", data={"csrf": csrf, "factor_id": factor_id})
    assert gone.status_code == 404
    await runtime.services.events.flush()
    kinds = [e.kind for e in await runtime.services.events.list()]
    assert EventKind.FACTOR_ENROLLED in kinds and EventKind.FACTORS_REMOVED in kinds
    details = " ".join(e.detail for e in await runtime.services.events.list())
    assert not any(c in details for c in codes)


async def test_recovery_codes_are_regenerated_and_shown_once(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    await sign_in(http)
    first = re.findall(CODE_ITEM, (await _add_app(http, clock, "Phone")).text)
    page = await http.get(CODES)
    assert page.status_code == 200 and "<strong>10</strong> unused" in page.text
    assert not re.search(CODE_ITEM, page.text)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    refused = await http.post(f"{CODES}/regenerate", data={"csrf": "wrong"})
    assert refused.status_code == 403
    fresh = await http.post(f"{CODES}/regenerate", data={"csrf": csrf_of(page.text)})
    assert fresh.status_code == 200 and "New recovery codes, shown once." in fresh.text
    assert "no-store" in fresh.headers["cache-control"]
    second = re.findall(CODE_ITEM, fresh.text)
    assert len(set(second)) == 10 and not set(first) & set(second)
    user = await runtime.services.users.get_by_username(USERNAME)
    assert user is not None
    assert await runtime.services.factors.recovery_codes_left(user.user_id) == 10


async def test_the_last_factor_policy_requires_cannot_be_removed(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    """With mfaPolicy required, the last authenticator app or passkey stays; with another
    factor left, either can go."""
    await sign_in(http)
    assert (await _add_app(http, clock, "Phone")).status_code == 200
    # a passkey too, on the passkeys page (the login session's cookie is in the jar)
    passkeys = await http.get(PASSKEYS)
    csrf = csrf_of(passkeys.text)
    device = SoftAuthenticator(origin=ISSUER, rp_id="127.0.0.1")
    options = await http.post(f"{PASSKEYS}/options", data={"csrf": csrf})
    assert options.status_code == 200, options.text
    registered = await http.post(
        f"{PASSKEYS}/register",
        data={"csrf": csrf, "name": "Key", "credential": json.dumps(device.create(options.json()))},
    )
    assert registered.status_code == 201, registered.text
    account = await http.get("/account")
    assert 'id="factor-passkeys">Key<' in account.text
    await patch_config(runtime, mfaPolicy="required")

    listing = await http.get(APPS)
    [factor_id] = _factor_ids(listing.text)
    csrf = csrf_of(listing.text)
    removed = await http.post(f"{APPS}/remove", data={"csrf": csrf, "factor_id": factor_id})
    assert removed.status_code == 303  # the passkey is left
    last = await http.post(
        f"{PASSKEYS}/remove", data={"csrf": csrf_of(passkeys.text), "credential_id": device.id}
    )
    assert last.status_code == 409 and "This is your last second factor" in last.text
    assert [p.credential_id for p in await runtime.services.passkeys.for_user(
        (await runtime.services.users.get_by_username(USERNAME)).user_id  # type: ignore[union-attr]
    )] == [device.id]  # fmt: skip

    # and the other way round: an authenticator app as the last factor
    assert (await _add_app(http, clock, "Tablet")).status_code in (200, 303)
    gone = await http.post(
        f"{PASSKEYS}/remove", data={"csrf": csrf_of(passkeys.text), "credential_id": device.id}
    )
    assert gone.status_code == 303
    [tablet] = _factor_ids((await http.get(APPS)).text)
    refused = await http.post(f"{APPS}/remove", data={"csrf": csrf, "factor_id": tablet})
    assert refused.status_code == 409 and "This is your last second factor" in refused.text
    assert _factor_ids((await http.get(APPS)).text) == [tablet]


@SQLITE_ONLY
async def test_changes_need_a_recent_sign_in(http: httpx.AsyncClient, clock: FakeClock) -> None:
    await sign_in(http)
    assert (await _add_app(http, clock, "Phone")).status_code == 200
    listing = await http.get(APPS)
    [factor_id] = _factor_ids(listing.text)
    clock.advance(301)
    assert (await http.get(APPS)).status_code == 200  # reading needs no fresh sign-in
    stale = await http.post(
        f"{APPS}/remove", data={"csrf": csrf_of(listing.text), "factor_id": factor_id}
    )
    assert stale.status_code == 303
    assert stale.headers["location"].startswith(
        "/account/signin?next=%2Faccount%2Fsecurity%2Fauthenticator&fresh=1"
    )
    add = await http.get(f"{APPS}/add")
    assert add.status_code == 302 and "fresh=1" in add.headers["location"]
    assert _factor_ids((await http.get(APPS)).text) == [factor_id]
