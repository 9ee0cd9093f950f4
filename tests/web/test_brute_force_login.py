"""Brute-force protection of the login page over HTTP, on SQLite and PostgreSQL: waits that
grow and are capped, answers that reveal neither a username's existence nor a lockout, no
password hash for a refused attempt, the device cookie, and bounded attempts per page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.support import PASSWORD, USERNAME, FakeClock, Flow
from tests.web.brute_force import (
    LOGIN,
    LoginBrowser,
    normalised,
    protect,
    proxied_settings,
    retry_after,
)

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return proxied_settings(database_url)


@pytest.fixture
async def browsers(runtime: Runtime, flow: Flow) -> AsyncIterator[Callable[[], LoginBrowser]]:
    client_id = (await flow.register())["client_id"]
    made: list[LoginBrowser] = []

    def new() -> LoginBrowser:
        made.append(LoginBrowser(runtime, client_id))
        return made[-1]

    yield new
    for browser in made:
        await browser.aclose()


async def test_the_wait_starts_at_the_sixth_failure_doubles_and_is_capped(
    browsers: Callable[[], LoginBrowser], clock: FakeClock
) -> None:
    browser = browsers()
    for _ in range(5):
        page = await browser.attempt(USERNAME, "wrong", ATTACKER)
        assert page.status_code == 401
        assert retry_after(page) is None
    waits = []
    for _ in range(10):
        page = await browser.attempt(USERNAME, "wrong", ATTACKER)
        wait = retry_after(page)
        assert page.status_code == 401 and wait is not None
        waits.append(wait)
        refused = await browser.attempt(USERNAME, PASSWORD, ATTACKER)
        assert (refused.status_code, retry_after(refused)) == (401, wait)
        clock.advance(wait)
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert (await browser.attempt(USERNAME, PASSWORD, ATTACKER)).status_code == 303


async def test_answers_do_not_reveal_whether_the_account_exists(
    browsers: Callable[[], LoginBrowser],
) -> None:
    browser = browsers()
    await browser.open()  # one page, so its form tokens are the same in every answer
    wrong = await browser.submit(USERNAME, "wrong", "192.0.2.1")
    unknown = await browser.submit("mallory", "wrong", "192.0.2.1")
    assert wrong.status_code == unknown.status_code == 401
    assert normalised(wrong, USERNAME) == normalised(unknown, "mallory")
    assert retry_after(wrong) is None

    # throttled: the same page, plus a wait that depends only on this address's failures
    for _ in range(6):
        await browsers().attempt(USERNAME, "wrong", "192.0.2.60")
        await browsers().attempt("mallory", "wrong", "192.0.2.61")
    throttled = await browser.submit(USERNAME, PASSWORD, "192.0.2.60")
    throttled_unknown = await browser.submit("mallory", PASSWORD, "192.0.2.61")
    assert throttled.status_code == throttled_unknown.status_code == 401
    assert retry_after(throttled) == retry_after(throttled_unknown) == 2
    assert normalised(throttled, USERNAME) == normalised(throttled_unknown, "mallory")
    without_wait = normalised(throttled, USERNAME).replace(" Try again in 2 seconds.", "")
    assert without_wait == normalised(unknown, "mallory")


async def test_answers_do_not_reveal_a_lockout(
    browsers: Callable[[], LoginBrowser], runtime: Runtime
) -> None:
    await protect(runtime, lockoutEnabled=True, lockoutThreshold=3)
    browser = browsers()
    await browser.open()
    unknown = await browser.submit("mallory", "wrong", "192.0.2.1")
    for i in range(2, 5):  # three failures, each from another address, lock the account
        page = await browsers().attempt(USERNAME, "wrong", f"192.0.2.{i}")
        assert retry_after(page) is None
    locked = await browser.submit(USERNAME, PASSWORD, "192.0.2.50")  # the right password
    assert locked.status_code == 401
    assert normalised(locked, USERNAME) == normalised(unknown, "mallory")
    events = await runtime.services.events.list(kind=EventKind.LOCKOUT)
    assert len(events) == 1


async def test_refused_attempts_compute_no_password_hash(
    browsers: Callable[[], LoginBrowser], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = runtime.services.passwords
    calls = []
    verify = hasher.verify

    async def counted(password_hash: str | None, password: str) -> bool:
        calls.append(password_hash)
        return await verify(password_hash, password)

    monkeypatch.setattr(hasher, "verify", counted)
    browser = browsers()
    for _ in range(6):
        await browser.attempt(USERNAME, "wrong", ATTACKER)
    assert len(calls) == 6
    for password in ("wrong", PASSWORD, "again"):
        assert retry_after(await browser.attempt(USERNAME, password, ATTACKER)) == 2
    assert len(calls) == 6


async def test_the_owners_device_cookie_gets_in_during_an_attack(
    browsers: Callable[[], LoginBrowser], runtime: Runtime
) -> None:
    await protect(runtime, lockoutEnabled=True, lockoutThreshold=5)
    owner = browsers()
    assert (await owner.attempt(USERNAME, PASSWORD, OWNER)).status_code == 303
    (cookie,) = [c for c in owner.http.cookies.jar if c.name == "authgate_device"]
    assert cookie.path == LOGIN
    assert cookie.has_nonstandard_attr("HttpOnly")

    attacker = browsers()
    for i in range(12):  # from the owner's address too (a shared network)
        await attacker.attempt(USERNAME, "wrong", OWNER if i < 6 else f"203.0.113.{i}")
    stranger = browsers()  # the right password without the cookie: refused
    assert (await stranger.attempt(USERNAME, PASSWORD, OWNER)).status_code == 401
    assert (await owner.attempt(USERNAME, PASSWORD, OWNER)).status_code == 303
    assert (await owner.attempt(USERNAME, PASSWORD, "192.0.2.99")).status_code == 303


async def test_a_login_page_takes_a_bounded_number_of_attempts(
    browsers: Callable[[], LoginBrowser], runtime: Runtime
) -> None:
    await protect(runtime, maximumAttemptsPerInteraction=3)
    browser = browsers()
    await browser.open()
    for i in range(3):
        assert (await browser.submit(f"user-{i}", "wrong", ATTACKER)).status_code == 401
    over = await browser.submit(USERNAME, PASSWORD, ATTACKER)
    assert over.status_code == 400
    assert "Too many sign-in attempts on this page" in over.text
    again = await browser.http.get(LOGIN, params={"ix": browser.fields["ix"]})
    assert again.status_code == 400  # the page is gone: start again from the application
    assert (await browser.attempt(USERNAME, PASSWORD, ATTACKER)).status_code == 303


async def test_failures_and_waits_are_security_events(
    browsers: Callable[[], LoginBrowser], runtime: Runtime
) -> None:
    browser = browsers()
    for _ in range(7):
        await browser.attempt(USERNAME, "a-guessed-password", ATTACKER)
    events = await runtime.services.events.list()
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.LOGIN_FAILED) == 6
    assert kinds.count(EventKind.LOGIN_THROTTLED) == 1
    logins = {EventKind.LOGIN_FAILED, EventKind.LOGIN_THROTTLED}
    assert {e.source for e in events if e.kind in logins} == {ATTACKER}
    assert not any("a-guessed-password" in repr(e) for e in events)


async def test_protection_off_answers_every_guess(
    browsers: Callable[[], LoginBrowser], runtime: Runtime, http: httpx.AsyncClient
) -> None:
    await protect(runtime, bruteForceProtectionEnabled=False)
    browser = browsers()
    for _ in range(8):
        assert retry_after(await browser.attempt(USERNAME, "wrong", ATTACKER)) is None
    assert (await browser.attempt(USERNAME, PASSWORD, ATTACKER)).status_code == 303
