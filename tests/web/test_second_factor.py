"""Second factors over HTTP, on SQLite and PostgreSQL: the factor page after the password,
wrong and replayed TOTP codes, a recovery code used twice, enrolment required by policy,
step-up of a live password session through acr_values, and truthful acr/amr in id_tokens."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.core.mfa import factors
from authgate.core.mfa.methods import seed_of
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.mfa_support import code, enrol_totp, wrong_code
from tests.support import (
    PASSWORD,
    SQLITE_ONLY,
    USERNAME,
    FakeClock,
    Flow,
    authorization_result,
    authorize_params,
    hidden_form,
    new_verifier,
    query_of,
    s256,
    token_form,
)

Answer = dict[str, str]


class FactorBrowser:
    """Follows authorize -> login -> factor/enrol -> consent -> redirect with a cookie jar,
    answering the factor page with ``answers`` (one per visit) and keeping every page."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.pages: list[tuple[str, httpx.Response]] = []

    async def start(self, params: dict[str, str]) -> httpx.Response:
        return await self.http.get("/jans-auth/restv1/authorize?" + urlencode(params))

    async def follow(self, response: httpx.Response, answers: list[Answer]) -> dict[str, str]:
        """Go on until the response to the client; its parameters."""
        for _ in range(10):
            result = authorization_result(response, [])
            if result is not None:
                return result.params
            location = response.headers["location"]
            page = await self.http.get(location)
            assert page.status_code == 200, page.text
            name = location.split("?")[0].rsplit("/", 1)[-1]
            self.pages.append((name, page))
            action, fields = hidden_form(page.text)
            if name == "login.htm":
                fields |= {"username": USERNAME, "password": PASSWORD}
            elif name in ("factor.htm", "enrol.htm"):
                fields |= answers.pop(0)
            else:
                fields["decision"] = "allow"
            response = await self.http.post(action, data=fields)
            if response.status_code == 200 and 'id="recovery-codes"' in response.text:
                self.pages.append(("recovery_codes", response))
                action, fields = hidden_form(response.text)
                response = await self.http.post(action, data=fields)
            assert response.status_code in (200, 302, 303), response.text
        raise AssertionError("too many steps")


async def _claims(http: httpx.AsyncClient, id_token: str) -> dict[str, Any]:
    jwks = KeySet.import_key_set((await http.get("/jans-auth/restv1/jwks")).json())
    return dict(jwt.decode(id_token, jwks).claims)


async def _tokens(flow: Flow, client_id: str, browser: FactorBrowser, answers: list[Answer],
                  **extra: str) -> dict[str, Any]:  # fmt: skip
    verifier = new_verifier()
    params = authorize_params(client_id, s256(verifier), "S256", **extra)
    result = await browser.follow(await browser.start(params), answers)
    assert "code" in result, result
    response = await flow.token(token_form(client_id, result["code"], verifier))
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def _user(runtime: Runtime) -> Any:
    user = await runtime.services.users.get_by_username(USERNAME)
    assert user is not None
    return user


async def _sign_in_to_factor_page(http: httpx.AsyncClient, client_id: str) -> httpx.Response:
    """Sign in with the password; the factor page it leads to."""
    params = authorize_params(client_id, s256(new_verifier()), "S256")
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    login = await http.get(response.headers["location"])
    action, fields = hidden_form(login.text)
    posted = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/jans-auth/factor.htm?ix=")
    assert "session_id" not in posted.headers.get("set-cookie", "")  # no session yet
    page = await http.get(posted.headers["location"])
    assert page.status_code == 200
    return page


async def test_wrong_then_right_totp_and_a_replay(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    client = await flow.register()
    seed = await enrol_totp(runtime.services, await _user(runtime))
    page = await _sign_in_to_factor_page(http, client["client_id"])
    assert 'id="use-recovery"' not in page.text  # no recovery codes were made
    action, fields = hidden_form(page.text)
    assert fields["method"] == "totp"
    wrong = await http.post(action, data=fields | {"code": wrong_code(seed, clock.now())})
    assert wrong.status_code == 401
    assert "That code is not valid." in wrong.text
    typed = code(seed, clock.now())
    right = await http.post(action, data=fields | {"code": typed})
    assert right.status_code == 303
    assert "session_id=" in right.headers["set-cookie"]

    # the same code in another sign-in (another browser) is refused
    other = httpx.AsyncClient(transport=http._transport, base_url=str(http.base_url))
    async with other:
        page = await _sign_in_to_factor_page(other, client["client_id"])
        action, fields = hidden_form(page.text)
        replayed = await other.post(action, data=fields | {"code": typed})
        assert replayed.status_code == 401
        assert "That code is not valid." in replayed.text
    await runtime.services.events.flush()
    failed = await runtime.services.events.list(kind=EventKind.FACTOR_FAILED)
    assert len(failed) == 2
    assert all(typed not in e.detail and seed not in e.detail for e in failed)


async def test_mfa_policy_walks_the_user_through_enrolment(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    await patch_config(runtime, mfaPolicy="required")
    client = await flow.register()
    browser = FactorBrowser(http)
    verifier = new_verifier()
    params = authorize_params(client["client_id"], s256(verifier), "S256")
    response = await browser.start(params)
    login = await http.get(response.headers["location"])
    action, fields = hidden_form(login.text)
    posted = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    factor = await http.get(posted.headers["location"])  # nothing enrolled: to enrolment
    assert factor.status_code == 303
    assert factor.headers["location"].startswith("/jans-auth/enrol.htm?ix=")
    enrol = await http.get(factor.headers["location"])
    assert enrol.status_code == 200
    assert re.search(r'<div class="qr" id="qr"><svg [^>]*class="segno"', enrol.text)
    assert "no-store" in enrol.headers["cache-control"]
    seed = re.search(r'<code id="seed">([A-Z2-7 ]+)</code>', enrol.text)
    assert seed is not None
    secret = seed.group(1).replace(" ", "")
    action, fields = hidden_form(enrol.text)
    wrong = await http.post(action, data=fields | {"code": wrong_code(secret, clock.now())})
    assert wrong.status_code == 401 and "That code is not valid." in wrong.text
    assert seed.group(1) in wrong.text  # the same enrolment is shown again
    shown = await http.post(action, data=fields | {"code": code(secret, clock.now())})
    assert shown.status_code == 200
    assert "Shown once." in shown.text
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", shown.text)
    assert len(set(codes)) == 10
    assert "session_id=" in shown.headers["set-cookie"]
    action, fields = hidden_form(shown.text)
    result = await browser.follow(await http.post(action, data=fields), [])
    response = await flow.token(token_form(client["client_id"], result["code"], verifier))
    claims = await _claims(http, response.json()["id_token"])
    assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])

    # a recovery code works once
    clock.advance(30)
    http.cookies.clear()
    page = await _sign_in_to_factor_page(http, client["client_id"])
    recovery = await http.get(
        html.unescape(re.search(r'href="([^"]+)" id="use-recovery"', page.text).group(1))  # type: ignore[union-attr]
    )
    action, fields = hidden_form(recovery.text)
    assert fields["method"] == "recovery"
    used = await http.post(action, data=fields | {"code": codes[0]})
    assert used.status_code == 303
    http.cookies.clear()
    page = await _sign_in_to_factor_page(http, client["client_id"])
    action, fields = hidden_form(page.text)
    again = await http.post(action, data=fields | {"method": "recovery", "code": codes[0]})
    assert again.status_code == 401 and "That code is not valid." in again.text
    await runtime.services.events.flush()
    assert await runtime.services.events.list(kind=EventKind.RECOVERY_CODE_USED)
    assert await runtime.services.events.list(kind=EventKind.FACTOR_ENROLLED)


async def test_step_up_of_a_live_password_session_through_acr_values(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    client = await flow.register()
    browser = FactorBrowser(http)
    first = await _tokens(flow, client["client_id"], browser, [])
    plain = await _claims(http, first["id_token"])
    assert (plain["acr"], plain["amr"]) == ("simple_password_auth", ["pwd"])
    assert [name for name, _ in browser.pages] == ["login.htm", "authorize.htm"]

    seed = await enrol_totp(runtime.services, await _user(runtime))  # from the account page
    old_cookie = http.cookies["session_id"]
    # prompt=none cannot step up
    silent = await browser.start(
        authorize_params(
            client["client_id"], s256(new_verifier()), "S256", acr_values="mfa", prompt="none"
        )
    )
    assert query_of(silent.headers["location"])["error"] == "interaction_required"
    clock.advance(5)
    browser.pages.clear()
    stepped = await _tokens(
        flow, client["client_id"], browser, [{"code": code(seed, clock.now())}], acr_values="mfa"
    )
    assert [name for name, _ in browser.pages] == ["factor.htm"]  # no password, no consent
    claims = await _claims(http, stepped["id_token"])
    assert (claims["acr"], claims["amr"]) == ("mfa", ["pwd", "otp", "mfa"])
    assert claims["sid"] == plain["sid"]
    assert claims["auth_time"] == int(clock.now())
    assert http.cookies["session_id"] != old_cookie  # a new cookie for the stronger session

    # the stronger session now satisfies mfa without asking again
    browser.pages.clear()
    again = await _tokens(flow, client["client_id"], browser, [], acr_values="mfa")
    assert browser.pages == []
    assert (await _claims(http, again["id_token"]))["acr"] == "mfa"


async def test_discovery_lists_exactly_the_offered_acr_values(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["acr_values_supported"] == ["simple_password_auth", "mfa", "phr", "phrh"]
    assert {"acr", "amr"} <= set(doc["claims_supported"])


async def test_wrong_codes_are_throttled_like_passwords(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    protection = runtime.services.config.current.authenticationProtectionConfiguration
    await patch_config(
        runtime,
        authenticationProtectionConfiguration=protection.model_dump()
        | {"maximumAllowedAttemptsWithoutDelay": 1, "delayTime": 7},
    )
    client = await flow.register()
    seed = await enrol_totp(runtime.services, await _user(runtime))
    page = await _sign_in_to_factor_page(http, client["client_id"])
    action, fields = hidden_form(page.text)
    first = await http.post(action, data=fields | {"code": wrong_code(seed, clock.now())})
    assert first.status_code == 401 and "retry-after" not in first.headers
    second = await http.post(action, data=fields | {"code": wrong_code(seed, clock.now())})
    assert second.status_code == 401 and second.headers["retry-after"] == "7"
    right = fields | {"code": code(seed, clock.now())}
    waiting = await http.post(action, data=right)  # refused before the code is checked
    assert waiting.status_code == 401 and "Try again in 7 seconds." in waiting.text
    clock.advance(7)
    assert (await http.post(action, data=right)).status_code == 303
    await runtime.services.events.flush()
    assert await runtime.services.events.list(kind=EventKind.FACTOR_THROTTLED)


@SQLITE_ONLY
async def test_bad_input_gets_an_error_page_never_a_5xx(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    client = await flow.register()
    seed = await enrol_totp(runtime.services, await _user(runtime))
    for path in ("/jans-auth/factor.htm", "/jans-auth/enrol.htm"):
        assert (await http.get(path)).status_code == 400
        assert (await http.get(f"{path}?ix=unknown")).status_code == 400
        assert (await http.post(path, data={"ix": "x", "csrf": "y"})).status_code == 400
    # an interaction whose password was not checked has no second-factor step
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    started = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    ix = query_of(started.headers["location"])["ix"]
    early = await http.get(f"/jans-auth/factor.htm?ix={ix}")
    assert early.status_code == 400 and "expired or was already used" in early.text
    assert (await http.get(f"/jans-auth/enrol.htm?ix={ix}")).status_code == 400

    page = await _sign_in_to_factor_page(http, client["client_id"])
    action, fields = hidden_form(page.text)
    forged = await http.post(action, data=fields | {"csrf": "forged", "code": "123456"})
    assert forged.status_code == 403  # the CSRF error page
    control = await http.post(action, data=fields | {"method": "recovery", "code": "a\x00b"})
    assert control.status_code == 400  # control characters are refused with every form
    for answer in ({"code": "9" * 5000}, {"code": ""}, {"method": "sms", "code": "1"},
                   {"method": "recovery", "code": "\u202e" * 70}, {"code": "١٢٣٤٥٦"}):  # fmt: skip
        refused = await http.post(action, data=fields | answer)
        assert refused.status_code == 401, answer
        assert "That code is not valid." in refused.text
    # the user has a factor: enrolment is not offered to this sign-in
    ix = fields["ix"]
    assert (await http.get(f"/jans-auth/enrol.htm?ix={ix}")).status_code == 400
    enrol_form = {"ix": ix, "csrf": fields["csrf"], "code": code(seed, clock.now())}
    assert (await http.post("/jans-auth/enrol.htm", data=enrol_form)).status_code == 400
    ok = await http.post(action, data=fields | {"code": code(seed, clock.now())})
    assert ok.status_code == 303
    consent = await http.get(ok.headers["location"])
    consent_action, consent_fields = hidden_form(consent.text)
    done = await http.post(consent_action, data=consent_fields | {"decision": "allow"})
    assert "code" in query_of(done.headers["location"])
    # the finished interaction is gone
    assert (await http.post(action, data=fields | {"code": "123456"})).status_code == 400


async def test_one_code_sent_twice_at_once_signs_in_once(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    client = await flow.register()
    seed = await enrol_totp(runtime.services, await _user(runtime))
    browsers = [
        httpx.AsyncClient(transport=http._transport, base_url=str(http.base_url)) for _ in range(2)
    ]
    try:
        forms = []
        for browser in browsers:
            page = await _sign_in_to_factor_page(browser, client["client_id"])
            forms.append(hidden_form(page.text))
        typed = code(seed, clock.now())
        answers = await asyncio.gather(
            *(b.post(action, data=fields | {"code": typed})
              for b, (action, fields) in zip(browsers, forms, strict=True))
        )  # fmt: skip
        assert sorted(a.status_code for a in answers) == [303, 401]
    finally:
        for browser in browsers:
            await browser.aclose()


async def test_a_removed_authenticator_app_no_longer_signs_in(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    """Two authenticator apps; the user removes one (as the account page does): its codes are
    refused at once, the other's work."""
    client = await flow.register()
    user = await _user(runtime)
    lost = await enrol_totp(runtime.services, user)
    kept = await enrol_totp(runtime.services, user)
    config = runtime.services.config.current
    [lost_factor] = [
        f
        for f in await factors.authenticators(user.user_id, runtime.services)
        if seed_of(f, config) == lost
    ]
    assert await factors.remove_authenticator(
        user.user_id, lost_factor.factor_id, runtime.services, source=None
    )
    page = await _sign_in_to_factor_page(http, client["client_id"])
    action, fields = hidden_form(page.text)
    refused = await http.post(action, data=fields | {"code": code(lost, clock.now())})
    assert refused.status_code == 401 and "That code is not valid." in refused.text
    accepted = await http.post(action, data=fields | {"code": code(kept, clock.now())})
    assert accepted.status_code == 303


async def test_an_essential_acr_out_of_the_users_reach_is_unmet(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, clock: FakeClock
) -> None:
    """The claims request marks phrh essential; the user has only an authenticator app: the
    sign-in goes through the factor page and the client gets
    unmet_authentication_requirements, not a factor page that can never be satisfied."""
    client = await flow.register(administered=True)
    seed = await enrol_totp(runtime.services, await _user(runtime))
    claims = '{"id_token": {"acr": {"essential": true, "values": ["phrh"]}}}'
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256", claims=claims)
    browser = FactorBrowser(http)
    response = await browser.start(params)
    result = await browser.follow(response, [{"code": code(seed, clock.now())}])
    assert result["error"] == "unmet_authentication_requirements"
    assert result["state"] == params["state"]
