"""The PKCE playground (``/playground``) run whole in headless Chromium against a real server.

The server keeps its default configuration (the playground must work with it, registration
rate limit included), so the module starts its own instead of the session's. Every step is
the page's own script talking to the public endpoints; the test only clicks, signs in, and
compares what the page shows with what the server and RFC 7636 say.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.harness import AuthgateServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthgateServer]:
    base = tmp_path_factory.mktemp("authgate-playground")
    started = AuthgateServer(data_dir=base / "data", admin_password=secrets.token_urlsafe(12))
    try:
        started.start()
        yield started
    finally:
        started.stop()


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def open_playground(page: Page, server: AuthgateServer) -> None:
    page.goto(f"{server.issuer}/playground")
    expect(page.locator("#playground")).to_have_attribute("data-ready", "true")


def step_1(page: Page, method: str) -> str:
    """Choose the method (a new verifier follows); the verifier, checked against its challenge."""
    page.select_option("#method", method)
    page.fill("#verifier-length", "80")
    page.click("#generate")
    verifier = page.locator("#verifier").inner_text()
    expect(page.locator("#verifier")).not_to_have_text("(not generated yet)")
    verifier = page.locator("#verifier").inner_text()
    assert len(verifier) == 80
    expected = s256(verifier) if method.lower() == "s256" else verifier
    expect(page.locator("#challenge")).to_have_text(expected)
    expect(page.locator("#shell-commands")).to_contain_text(f"code_verifier='{verifier}'")
    if method == "S256" and shutil.which("openssl"):
        # the commands shown give the same challenge
        shown = page.locator("#shell-commands").inner_text().split("# The pair above", 1)[1]
        script = "\n".join(shown.splitlines()[1:])
        output = run_shell(script)
        assert output.strip() == expected
    return verifier


def run_shell(script: str) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


def step_2(page: Page, server: AuthgateServer, alg: str = "") -> str:
    """Register the flow document's client (optionally with an id_token algorithm)."""
    if alg:
        page.select_option("#id-token-alg", alg)
    body = json.loads(page.input_value("#registration-body"))
    assert body["redirect_uris"] == [f"{server.issuer}/playground/callback"]
    assert body["token_endpoint_auth_method"] == "none"
    page.click("#register")
    expect(page.locator("#registration-response")).to_contain_text("HTTP 201")
    response = page.locator("#registration-response").inner_text()
    client = json.loads(response.split("\n\n", 1)[1])
    assert "client_secret" not in client
    if alg:
        assert client["id_token_signed_response_alg"] == alg
    expect(page.locator("#registration-request")).to_contain_text("POST /jans-auth/restv1/register")
    client_id: str = client["client_id"]
    return client_id


def sign_in_in_popup(page: Page, server: AuthgateServer, trigger: str) -> None:
    """Click ``trigger``; in the pop-up, sign in as admin and allow access."""
    with page.expect_popup() as popup_info:
        page.click(trigger)
    popup = popup_info.value
    popup.wait_for_selector("#username")
    popup.fill("#username", "admin")
    popup.fill("#password", server.admin_password)
    popup.click("#login")
    popup.wait_for_selector("#allow")
    popup.click("#allow")


def step_3(page: Page, server: AuthgateServer, client_id: str, challenge: str, method: str) -> None:
    table = page.locator("#authorize-params")
    for name, value in (
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", f"{server.issuer}/playground/callback"),
        ("code_challenge", challenge),
        ("code_challenge_method", method),
    ):
        row = table.locator("tbody tr", has=page.locator(f"th:text-is('{name}')"))
        expect(row.locator("td").first).to_have_text(value)
        expect(row.locator("td").nth(1)).not_to_be_empty()
    expect(page.locator("#authorize-url")).to_contain_text(
        f"{server.issuer}/jans-auth/restv1/authorize?response_type=code&client_id={client_id}"
    )
    sign_in_in_popup(page, server, "#authorize")
    summary = page.locator("#authorize-summary")
    expect(summary).to_contain_text("Code received")
    expect(summary).to_contain_text("state matches the one sent")
    expect(summary).to_contain_text("iss is this server's issuer")


def step_4(page: Page, verifier: str, alg: str) -> None:
    expect(page.locator("#token-curl")).to_contain_text(f"code_verifier={verifier}")
    page.click("#exchange")
    expect(page.locator("#token-response")).to_contain_text("HTTP 200")
    signature = page.locator("#signature-result")
    expect(signature).to_have_attribute("data-verified", "true")
    expect(signature).to_have_attribute("data-alg", alg)
    expect(signature).to_contain_text(f"Signature valid: {alg}")
    checks = page.locator("#id-token-checks li")
    expect(checks).to_have_count(5)  # iss, aud, nonce, exp, at_hash
    expect(page.locator("#id-token-checks li.bad")).to_have_count(0)


def test_the_whole_playground(server: AuthgateServer, context: BrowserContext) -> None:
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    # the failures' 400/401 answers (and the favicon's 404) are logged as failed loads;
    # anything else (a CSP violation, a script error) is a bug
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_playground(page, server)
    expect(page.locator("#server-info")).to_contain_text("PKCE methods: S256, plain")
    expect(page.locator("#environment-warning")).to_be_hidden()

    verifier = step_1(page, "S256")
    client_id = step_2(page, server)
    step_3(page, server, client_id, s256(verifier), "S256")
    step_4(page, verifier, "RS256")

    page.click("#userinfo")
    userinfo = page.locator("#userinfo-response")
    expect(userinfo).to_contain_text("HTTP 200")
    expect(userinfo).to_contain_text('"preferred_username": "admin"')

    page.click("#refresh")
    refreshed = page.locator("#refresh-response")
    expect(refreshed).to_contain_text("HTTP 200")
    expect(refreshed).to_contain_text('"refresh_token"')
    expect(refreshed).to_contain_text("grant_type=refresh_token")

    # 1. a wrong verifier: a new code comes back at once (signed in, access allowed)
    with page.expect_popup():
        page.click("#fail-verifier")
    wrong = page.locator("#fail-verifier-result")
    expect(wrong).to_contain_text("HTTP 400")
    expect(wrong).to_contain_text('"error": "invalid_grant"')
    expect(wrong).to_contain_text("code_verifier does not match the code_challenge")

    # 2. the step 4 code again: refused, and what it issued is revoked
    page.click("#fail-replay")
    replay = page.locator("#fail-replay-result")
    expect(replay).to_contain_text("HTTP 401")
    text = replay.inner_text()
    assert text.index("HTTP 400") < text.index("HTTP 401")
    assert '"error": "invalid_grant"' in text
    assert '"error": "invalid_token"' in text

    # 3. no code_challenge: the client has tokens now, so the error comes back to the callback
    with page.expect_popup():
        page.click("#fail-challenge")
    missing = page.locator("#fail-challenge-result")
    expect(missing).to_contain_text('"error": "invalid_request"')
    expect(missing).to_contain_text("PKCE is required for public clients")
    assert "code_challenge=" not in missing.inner_text().split("\n")[0]
    assert errors == []


@pytest.mark.parametrize(("method", "alg"), [("s256", "ES256"), ("plain", "PS256")])
def test_every_method_and_algorithm(
    server: AuthgateServer, context: BrowserContext, method: str, alg: str
) -> None:
    """The flow document's ``s256`` and ``plain``, with id_tokens signed by the other
    algorithms the server has keys for, verified by WebCrypto in the page."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    open_playground(page, server)
    verifier = step_1(page, method)
    client_id = step_2(page, server, alg)
    challenge = s256(verifier) if method == "s256" else verifier
    step_3(page, server, client_id, challenge, method)
    step_4(page, verifier, alg)


def test_a_pop_up_closed_without_an_answer_is_reported(
    server: AuthgateServer, context: BrowserContext
) -> None:
    """The user closes the pop-up on the login page: the page says so, after the second it
    leaves for a message the callback page may have posted just before closing itself."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    open_playground(page, server)
    step_1(page, "S256")
    step_2(page, server)
    with page.expect_popup() as popup_info:
        page.click("#authorize")
    popup = popup_info.value
    popup.wait_for_selector("#username")
    popup.close()
    summary = page.locator("#authorize-summary")
    expect(summary).to_have_text("No response.", timeout=10_000)
    result = page.locator("#authorize-result")
    expect(result).to_have_text("The pop-up was closed before the server answered.")
    expect(page.locator("#authorize")).to_be_enabled()


def test_without_pop_ups_the_flow_stays_in_one_tab(
    server: AuthgateServer, context: BrowserContext
) -> None:
    """A browser that blocks the pop-up: the authorization request runs in the playground's
    own tab, the callback page keeps the response in that tab's sessionStorage and goes back,
    and the playground carries on with the request it had sent."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.add_init_script("window.open = () => null;")  # what a pop-up blocker returns
    open_playground(page, server)
    verifier = step_1(page, "S256")
    step_2(page, server)
    sent_state = page.locator("#authorize-params tbody tr", has=page.locator("th:text-is('state')"))
    state = sent_state.locator("td").first.inner_text()
    page.click("#authorize")
    page.wait_for_selector("#username")
    page.fill("#username", "admin")
    page.fill("#password", server.admin_password)
    page.click("#login")
    page.click("#allow")
    page.wait_for_url(f"{server.issuer}/playground#step-3")
    expect(page.locator("#playground")).to_have_attribute("data-ready", "true")
    expect(page.locator("#authorize-summary")).to_contain_text("Code received")
    expect(page.locator("#authorize-summary")).to_contain_text("state matches the one sent")
    expect(sent_state.locator("td").first).to_have_text(state)
    # the curl command shown in step 4 works as it is (the page's own button is tested above)
    curl = page.locator("#token-curl").inner_text()
    assert f"code_verifier={verifier}" in curl
    if shutil.which("curl"):
        tokens = json.loads(run_shell(curl))
        assert tokens["token_type"] == "Bearer"
        assert {"access_token", "refresh_token", "id_token"} <= set(tokens)


def test_a_refused_method_shows_the_servers_answer(
    server: AuthgateServer, context: BrowserContext
) -> None:
    """With ``plain`` removed, the page says so, and the server's own refusal (its error page:
    nobody has approved the new client yet) comes back into the playground. Runs last: it
    changes the module's server."""
    server.configure("codeChallengeMethodsSupported", '["S256"]')
    page = context.new_page()
    page.set_default_timeout(15_000)
    open_playground(page, server)
    expect(page.locator("#server-info")).to_contain_text("PKCE methods: S256.")
    step_1(page, "plain")
    expect(page.locator("#method-note")).to_contain_text("It will refuse plain")
    step_2(page, server)
    with page.expect_popup():
        page.click("#authorize")
    expect(page.locator("#authorize-summary")).to_contain_text("Refused: invalid_request")
    result = page.locator("#authorize-result")
    expect(result).to_contain_text("error page (HTTP 400)")
    expect(result).to_contain_text("code_challenge_method 'plain' is not allowed by this server")


def test_with_registration_closed_the_page_says_so(
    server: AuthgateServer, context: BrowserContext
) -> None:
    """Discovery lists no registration endpoint: the page says step 2 cannot work and offers
    no button for it. Runs last: it changes the module's server."""
    server.configure("dynamicRegistrationEnabled", "false")
    page = context.new_page()
    page.set_default_timeout(15_000)
    open_playground(page, server)
    expect(page.locator("#server-info")).to_contain_text("Dynamic registration is off")
    expect(page.locator("#register")).to_be_disabled()
    expect(page.locator("#authorize")).to_be_disabled()
