"""Self-service over HTTP on SQLite and PostgreSQL, with mail through a real local SMTP
server (tests/mail_server.py): sign-up through prompt=create, email verification, password
reset, their links (expired, reused, changed), refusals, rate limits, and everything off by
default."""

from __future__ import annotations

import asyncio
import re
import uuid
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from authgate.core.security_events import EventKind
from authgate.core.types import User
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.conftest import patch_config
from tests.mail_server import MailServer, link_in, mail_server  # noqa: F401 (fixture)
from tests.mfa_support import enrol_totp
from tests.support import (
    ISSUER,
    PASSWORD,
    USERNAME,
    FakeClock,
    Flow,
    authorize_params,
    hidden_form,
    new_verifier,
    query_of,
    s256,
)

NEW_PASSWORD = "a long new passphrase 42"
ALL_ON = {
    "selfServiceSignUpEnabled": True,
    "selfServicePasswordResetEnabled": True,
    "selfServiceProfileChangesEnabled": True,
}


@pytest.fixture
def settings(database_url: str, mail_server: MailServer) -> Settings:  # noqa: F811
    return Settings(
        issuer_url=ISSUER,
        database_url=database_url,
        admin_password="admin-password-1",
        **mail_server.settings(),
    )


async def _authorize(http: httpx.AsyncClient, client_id: str, **extra: str) -> httpx.Response:
    params = authorize_params(client_id, s256(new_verifier(64)), "S256", **extra)
    return await http.get("/jans-auth/restv1/authorize?" + urlencode(params))


async def _follow(http: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """Follow redirects that stay on authgate."""
    while response.status_code in (302, 303) and response.headers["location"].startswith("/"):
        response = await http.get(response.headers["location"])
    return response


async def _sign_up(
    http: httpx.AsyncClient, client_id: str, **fields: str
) -> tuple[httpx.Response, httpx.Response]:
    """prompt=create up to the sign-up form, then post it; returns (form page, answer)."""
    form_page = await _follow(http, await _authorize(http, client_id, prompt="create"))
    assert form_page.status_code == 200, form_page.text
    assert 'action="/jans-auth/signup.htm"' in form_page.text
    action, hidden = hidden_form(form_page.text)
    values = {
        "username": "bob",
        "email": "bob@example.com",
        "name": "Bob",
        "password": NEW_PASSWORD,
    }
    values.update(fields)
    return form_page, await http.post(action, data=hidden | values)


async def _open(http: httpx.AsyncClient, link: str, *fields: str) -> httpx.Response:
    """Open a mailed link and submit its page's form (``fields``: password twice)."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == ISSUER
    landing = await http.get(f"{parts.path}?{parts.query}")
    if landing.status_code != 200:
        return landing
    action, hidden = hidden_form(landing.text)
    data = dict(hidden)
    if fields:
        data |= {"password": fields[0], "password2": fields[1]}
    return await http.post(action, data=data)


async def _events(runtime: Runtime) -> list[str]:
    await runtime.services.events.flush()
    return [e.kind for e in await runtime.services.events.list(limit=200)]


async def _login(
    http: httpx.AsyncClient, client_id: str, username: str, password: str
) -> httpx.Response:
    page = await _follow(http, await _authorize(http, client_id, prompt="login"))
    action, hidden = hidden_form(page.text)
    return await http.post(action, data=hidden | {"username": username, "password": password})


# --- off by default --------------------------------------------------------------------------


async def test_everything_is_off_by_default(http: httpx.AsyncClient, flow: Flow) -> None:
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert "create" not in discovery["prompt_values_supported"]
    for path in ("/jans-auth/reset-password.htm", "/jans-auth/verify-email.htm?token=x",
                 "/jans-auth/set-password.htm?token=x", "/account/profile",
                 "/jans-auth/signup.htm?ix=x"):  # fmt: skip
        assert (await http.get(path)).status_code == 404, path
    assert (
        await http.post("/jans-auth/reset-password.htm", data={"identifier": "a"})
    ).status_code == 404
    client = await flow.register(administered=True)
    response = await _authorize(http, client["client_id"], prompt="create")
    assert response.status_code == 302
    params = query_of(response.headers["location"])
    assert params["error"] == "invalid_request"
    assert "create" in params["error_description"]
    login = await _follow(http, await _authorize(http, client["client_id"]))
    assert "signup-link" not in login.text and "reset-link" not in login.text


# --- sign-up ---------------------------------------------------------------------------------


async def test_sign_up_through_prompt_create_continues_the_authorization(
    http: httpx.AsyncClient,
    flow: Flow,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, selfServiceSignUpEnabled=True)
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert "create" in discovery["prompt_values_supported"]
    client = await flow.register()
    login = await _follow(http, await _authorize(http, client["client_id"]))
    assert 'id="signup-link"' in login.text
    form_page, answer = await _sign_up(http, client["client_id"])
    # "I already have an account" leads to the sign-in page, also under prompt=create
    match = re.search(r'href="(/jans-auth/login\.htm\?[^"]+)" id="signin-link"', form_page.text)
    assert match is not None
    sign_in = await http.get(match.group(1).replace("&amp;", "&"))
    assert sign_in.status_code == 200 and 'action="/jans-auth/login.htm"' in sign_in.text
    assert answer.status_code == 303, answer.text
    consent = await _follow(http, answer)
    assert 'action="/jans-auth/authorize.htm"' in consent.text  # signed in: consent is next
    action, hidden = hidden_form(consent.text)
    done = await http.post(action, data=hidden | {"decision": "allow"})
    assert "code" in query_of(done.headers["location"])
    bob = await runtime.services.users.get_by_username("bob")
    assert bob is not None and bob.email == "bob@example.com" and not bob.email_verified
    mail = await mail_server.await_for("bob@example.com")
    assert mail["Subject"] == "Confirm your email address"
    assert mail["From"] == "authgate@example.com"
    verified = await _open(http, link_in(mail))
    assert verified.status_code == 200 and 'id="email-verified"' in verified.text
    bob = await runtime.services.users.get_by_username("bob")
    assert bob is not None and bob.email_verified
    # the link works once
    again = await _open(http, link_in(mail))
    assert again.status_code == 400 and 'id="link-error"' in again.text
    kinds = await _events(runtime)
    for kind in (EventKind.SIGNED_UP, EventKind.VERIFICATION_SENT, EventKind.EMAIL_VERIFIED):
        assert kind in kinds


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pw", "at least 12 characters"),
        ("1qaz2wsx3edc", "most common passwords"),
        ("QwErTy123456", "most common passwords"),
        ("bob@example.com", "username or email"),
    ],
)
async def test_password_policy_refusals(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, password: str, reason: str
) -> None:
    await patch_config(runtime, selfServiceSignUpEnabled=True)
    client = await flow.register()
    _, answer = await _sign_up(http, client["client_id"], password=password)
    assert answer.status_code == 400
    assert reason in answer.text
    assert 'role="alert"' in answer.text
    assert await runtime.services.users.get_by_username("bob") is None


async def test_a_taken_username_and_a_bad_address_are_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, selfServiceSignUpEnabled=True)
    client = await flow.register()
    _, answer = await _sign_up(http, client["client_id"], username=USERNAME)
    assert answer.status_code == 400 and "username is taken" in answer.text
    _, answer = await _sign_up(http, client["client_id"], email="not-an-address")
    assert answer.status_code == 400 and "valid email address" in answer.text


async def test_verification_required_before_sign_in(
    http: httpx.AsyncClient,
    flow: Flow,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(
        runtime, selfServiceSignUpEnabled=True, selfServiceEmailVerificationRequired=True
    )
    client = await flow.register()
    _, answer = await _sign_up(http, client["client_id"])
    assert answer.status_code == 200 and 'id="signup-verify"' in answer.text
    http.cookies.clear()
    refused = await _login(http, client["client_id"], "bob", NEW_PASSWORD)
    assert refused.status_code == 401 and "Confirm your email address first" in refused.text
    # the refused sign-in mailed a fresh link; the first one still works too
    await mail_server.await_for("bob@example.com", count=2)
    mail = await mail_server.await_for("bob@example.com")
    assert (await _open(http, link_in(mail))).status_code == 200
    signed_in = await _login(http, client["client_id"], "bob", NEW_PASSWORD)
    assert signed_in.status_code == 303
    # accounts an administrator made are not held back by the setting
    svc = runtime.services
    await svc.users.add(
        User(str(uuid.uuid4()), "carol", svc.passwords.hash(NEW_PASSWORD), email="c@example.com")
    )
    http.cookies.clear()
    assert (await _login(http, client["client_id"], "carol", NEW_PASSWORD)).status_code == 303


# --- links -----------------------------------------------------------------------------------


async def test_expired_and_changed_links_are_refused(
    http: httpx.AsyncClient,
    flow: Flow,
    runtime: Runtime,
    clock: FakeClock,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, **ALL_ON)
    client = await flow.register()
    await _sign_up(http, client["client_id"])
    link = link_in(await mail_server.await_for("bob@example.com"))
    changed = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert (await _open(http, changed)).status_code == 400
    clock.advance(runtime.services.config.current.selfServiceVerificationLinkLifetime + 1)
    expired = await _open(http, link)
    assert expired.status_code == 400 and "expired" in expired.text
    bob = await runtime.services.users.get_by_username("bob")
    assert bob is not None and not bob.email_verified
    assert EventKind.SELF_SERVICE_LINK_REFUSED in await _events(runtime)


# --- password reset --------------------------------------------------------------------------


async def test_a_reset_for_an_unknown_address_looks_like_one_for_a_known_one(
    http: httpx.AsyncClient,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, selfServicePasswordResetEnabled=True)
    form = await http.get("/jans-auth/reset-password.htm")
    assert form.status_code == 200 and 'for="identifier"' in form.text
    known = await http.post(
        "/jans-auth/reset-password.htm", data={"identifier": "alice@example.com"}
    )
    unknown = await http.post(
        "/jans-auth/reset-password.htm", data={"identifier": "nobody@example.com"}
    )
    by_name = await http.post("/jans-auth/reset-password.htm", data={"identifier": USERNAME})
    assert known.status_code == unknown.status_code == by_name.status_code == 200
    assert known.text == unknown.text == by_name.text
    same = {k: v for k, v in known.headers.items() if k != "x-request-id"}
    assert same == {k: v for k, v in unknown.headers.items() if k != "x-request-id"}
    await mail_server.await_for("alice@example.com", count=2)
    assert mail_server.to("nobody@example.com") == []


async def test_reset_through_the_link_then_sign_in_with_the_new_password(
    http: httpx.AsyncClient,
    flow: Flow,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, selfServicePasswordResetEnabled=True)
    client = await flow.register()
    issued = await flow.code(client["client_id"], scope="openid offline_access")
    tokens = await flow.tokens(issued)
    login = await _follow(http, await _authorize(http, client["client_id"], prompt="login"))
    assert 'href="/jans-auth/reset-password.htm"' in login.text
    await http.post("/jans-auth/reset-password.htm", data={"identifier": USERNAME})
    mail = await mail_server.await_for("alice@example.com")
    assert mail["Subject"] == "Reset your password"
    link = link_in(mail)
    mismatch = await _open(http, link, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert mismatch.status_code == 400 and "not the same" in mismatch.text
    common = await _open(http, link, "qwerty123456", "qwerty123456")
    assert common.status_code == 400
    done = await _open(http, link, NEW_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 200 and 'id="password-reset-done"' in done.text
    # the refresh token is revoked, the session ended
    refreshed = await flow.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client["client_id"],
        }
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None
    now = runtime.services.clock.now()
    assert await runtime.services.account.sessions(alice.user_id, now) == []
    # reused link
    reused = await _open(http, link, "another new passphrase", "another new passphrase")
    assert reused.status_code == 400 and 'id="link-error"' in reused.text
    http.cookies.clear()
    assert (await _login(http, client["client_id"], USERNAME, PASSWORD)).status_code == 401
    assert (await _login(http, client["client_id"], USERNAME, NEW_PASSWORD)).status_code == 303
    kinds = await _events(runtime)
    assert EventKind.RESET_REQUESTED in kinds and EventKind.PASSWORD_RESET in kinds


async def test_mails_per_address_are_limited(
    http: httpx.AsyncClient,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, selfServicePasswordResetEnabled=True, selfServiceMailsPerAddress=2)
    for _ in range(4):
        answer = await http.post("/jans-auth/reset-password.htm", data={"identifier": USERNAME})
        assert answer.status_code == 200
    await mail_server.await_for("alice@example.com", count=2)
    await _events(runtime)
    assert len(mail_server.to("alice@example.com")) == 2
    assert EventKind.SELF_SERVICE_THROTTLED in await _events(runtime)


async def test_self_service_posts_are_rate_limited_per_source(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(
        runtime, selfServicePasswordResetEnabled=True, rateLimitSelfServiceRequestCount=2
    )
    for _ in range(2):
        answer = await http.post("/jans-auth/reset-password.htm", data={"identifier": "x"})
        assert answer.status_code == 200
    refused = await http.post("/jans-auth/reset-password.htm", data={"identifier": "x"})
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert 'id="error-code"' in refused.text
    # the pages themselves are not counted
    assert (await http.get("/jans-auth/reset-password.htm")).status_code == 200


# --- the account page ------------------------------------------------------------------------


async def _profile(http: httpx.AsyncClient) -> httpx.Response:
    from tests.web.account.support import sign_in

    page = await sign_in(http, "/account/profile")
    assert page.status_code == 200, page.text
    return page


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


async def test_profile_changes_on_the_account_page(
    http: httpx.AsyncClient,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, selfServiceProfileChangesEnabled=True)
    page = await _profile(http)
    csrf = _csrf(page.text)
    renamed = await http.post("/account/profile/name", data={"csrf": csrf, "name": "Alice B"})
    assert renamed.status_code == 303
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None and alice.name == "Alice B"
    wrong = await http.post(
        "/account/profile/password",
        data={
            "csrf": csrf,
            "current": "wrong",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 400 and "current password is not correct" in wrong.text
    changed = await http.post(
        "/account/profile/password",
        data={
            "csrf": csrf,
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None
    assert await runtime.services.passwords.verify(alice.password_hash, NEW_PASSWORD)
    moved = await http.post(
        "/account/profile/email", data={"csrf": csrf, "email": "a2@example.com"}
    )
    assert moved.status_code == 303
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None and alice.email == "alice@example.com"  # not before the link
    link = link_in(await mail_server.await_for("a2@example.com"))
    assert (await _open(http, link)).status_code == 200
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None and (alice.email, alice.email_verified) == ("a2@example.com", True)
    notice = await mail_server.await_for("alice@example.com")
    assert notice["Subject"] == "Your email address was changed"
    assert "a2@example.com" in notice.get_content()
    kinds = await _events(runtime)
    for kind in (EventKind.PROFILE_CHANGED, EventKind.PASSWORD_CHANGED, EventKind.EMAIL_CHANGED):
        assert kind in kinds


async def test_profile_changes_need_the_csrf_token_and_a_recent_sign_in(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    await patch_config(runtime, selfServiceProfileChangesEnabled=True)
    await _profile(http)
    missing = await http.post("/account/profile/name", data={"name": "Mallory"})
    assert missing.status_code in (400, 403)
    clock.advance(600)
    page = await http.get("/account/profile")
    stale = await http.post("/account/profile/name", data={"csrf": _csrf(page.text), "name": "X"})
    assert stale.status_code == 303
    assert "fresh=1" in stale.headers["location"]
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None and alice.name == "Alice Example"


# --- with second factors ---------------------------------------------------------------------


async def test_a_reset_password_still_needs_the_second_factor(
    http: httpx.AsyncClient,
    flow: Flow,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, selfServicePasswordResetEnabled=True)
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None
    await enrol_totp(runtime.services, alice)
    client = await flow.register()
    await http.post("/jans-auth/reset-password.htm", data={"identifier": USERNAME})
    link = link_in(await mail_server.await_for("alice@example.com"))
    assert (await _open(http, link, NEW_PASSWORD, NEW_PASSWORD)).status_code == 200
    http.cookies.clear()
    signed_in = await _login(http, client["client_id"], USERNAME, NEW_PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"].startswith("/jans-auth/factor.htm?ix=")


async def test_sign_up_for_a_client_that_requires_a_second_factor(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await flow.register()
    await patch_config(
        runtime, selfServiceSignUpEnabled=True, mfaRequiredClients=[client["client_id"]]
    )
    _, answer = await _sign_up(http, client["client_id"])
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/jans-auth/factor.htm?ix=")
    bob = await runtime.services.users.get_by_username("bob")
    assert bob is not None
    assert await runtime.services.account.sessions(bob.user_id, runtime.services.clock.now()) == []


async def test_a_reset_link_posted_twice_at_once_applies_once(
    http: httpx.AsyncClient,
    runtime: Runtime,
    mail_server: MailServer,  # noqa: F811
) -> None:
    await patch_config(runtime, selfServicePasswordResetEnabled=True)
    await http.post("/jans-auth/reset-password.htm", data={"identifier": USERNAME})
    link = urlsplit(link_in(await mail_server.await_for("alice@example.com")))
    token = query_of(link.geturl())["token"]
    passwords = [f"concurrent passphrase {i}" for i in range(4)]
    answers = await asyncio.gather(
        *(
            http.post(link.path, data={"token": token, "password": p, "password2": p})
            for p in passwords
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 400, 400, 400]
    winner = passwords[[a.status_code for a in answers].index(200)]
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None
    assert await runtime.services.passwords.verify(alice.password_hash, winner)
