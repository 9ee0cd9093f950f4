"""Every page the server renders, in every state, in headless Chromium against a real
``authgate serve``: axe-core finds no serious or critical WCAG 2.2 A/AA violation, input
borders reach 3:1, the pages fit a 390x844 viewport without horizontal scrolling, sign-in
and consent work from the keyboard alone with a visible focus, the focus lands on the field
in error after a failed attempt, German is chosen by ``ui_locales`` and by
``Accept-Language``, and a theme directory's template, stylesheet and logo and the
configured colour are rendered."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.e2e.accessibility import (
    MOBILE,
    assert_accessible,
    axe_source,
    axe_violations,
    fits_the_viewport,
    focus_is_visible,
    input_border_contrasts,
)
from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import (
    ADMIN,
    CONSENT_PATH,
    LOGIN_PATH,
    approve,
    landed,
    path_of,
    prepare,
    register,
    submit_login,
)
from tests.web.device_support import device_registration

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]

DEVICE_PAGE = "/jans-auth/device_authorization.htm"
VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 900}, "mobile": MOBILE}


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


def _context(chromium: Browser, viewport: ViewportSize, locale: str = "en-US") -> BrowserContext:
    return chromium.new_context(viewport=viewport, locale=locale)


class Checker:
    """Checks each page state it is shown and remembers which ones it saw."""

    def __init__(self, page: Page, axe: str, viewport: str) -> None:
        self.page, self.axe, self.viewport = page, axe, viewport
        self.seen: list[str] = []

    def __call__(self, state: str) -> None:
        assert_accessible(self.page, self.axe)
        if self.viewport == "mobile":
            assert fits_the_viewport(self.page), f"{state} scrolls sideways at 390 px"
        self.seen.append(state)


def _device_code(api: httpx.Client) -> str:
    registered = api.post("/jans-auth/restv1/register", json=device_registration())
    assert registered.status_code == 201, registered.text
    started = api.post(
        "/jans-auth/restv1/device_authorization",
        data={"client_id": registered.json()["client_id"], "scope": "openid profile"},
    )
    assert started.status_code == 200, started.text
    code: str = started.json()["user_code"]
    return code


def test_the_checks_catch_a_bad_page(chromium: Browser, axe: str) -> None:
    """What the old pages had: grey text on white, an unlabelled field with a 1.6:1 border,
    and a card wider than a phone."""
    ctx = _context(chromium, MOBILE)
    try:
        page = ctx.new_page()
        page.set_content(
            '<html><body><main style="width:500px;background:#fff">'
            '<p style="color:#b8bcc4">authgate</p>'
            '<input type="text" style="border:1px solid #c5cad3"></main></body></html>'
        )
        found = {v["id"] for v in axe_violations(page, axe)}
        assert {"color-contrast", "label", "html-has-lang"} <= found
        assert min(input_border_contrasts(page)) < 3.0
        assert not fits_the_viewport(page)
        assert not focus_is_visible(page)  # nothing focused, no outline
    finally:
        ctx.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_page_and_state(
    chromium: Browser,
    axe: str,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
    viewport: str,
) -> None:
    issuer = authgate_server.issuer
    ctx = _context(chromium, VIEWPORTS[viewport])
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        check = Checker(page, axe, viewport)

        page.goto(f"{issuer}/playground")
        page.wait_for_selector("#playground[data-ready=true]")
        check("playground")

        page.goto(f"{issuer}/jans-auth/restv1/authorize?client_id=nobody&response_type=code")
        assert page.locator("#error-code").count() == 1
        check("error page")

        client = register(api, rp_site.redirect_uri)
        attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
        page.goto(attempt.url)
        assert path_of(page.url) == LOGIN_PATH
        check("sign-in")

        failed = submit_login(page, ADMIN, "not the password")
        assert failed.status == 401
        assert page.get_attribute("#login-error", "role") == "alert"
        # the focus is on the field in error (the username is kept, the password is not)
        assert page.evaluate("document.activeElement.id") == "password"
        assert page.get_attribute("#password", "aria-invalid") == "true"
        check("sign-in error")

        submit_login(page, ADMIN, authgate_server.admin_password)
        assert path_of(page.url) == CONSENT_PATH
        check("consent")
        approve(page, attempt.redirect_uri)
        landed(page, rp_site, attempt)

        page.goto(f"{issuer}/account")
        page.wait_for_url(f"{issuer}/account")
        check("account")

        page.goto(f"{issuer}/jans-auth/restv1/end_session")
        assert page.locator("#logout").count() == 1
        check("sign-out confirmation")
        with page.expect_navigation():
            page.click("#logout")
        assert page.locator("#signed-out").count() == 1
        check("signed out")

        page.goto(f"{issuer}{DEVICE_PAGE}")
        check("device code entry")
        page.fill("#user_code", "WRONG-CODE")
        with page.expect_navigation():
            page.click("#continue")
        assert page.locator("#device-error").count() == 1
        assert page.evaluate("document.activeElement.id") == "user_code"
        check("device code error")
        page.fill("#user_code", _device_code(api))
        with page.expect_navigation():
            page.click("#continue")
        submit_login(page, ADMIN, authgate_server.admin_password)
        assert page.locator("#approve").count() == 1
        check("device approval")
        with page.expect_navigation():
            page.click("#approve")
        assert page.locator("#device-done").count() == 1
        check("device done")
        assert len(check.seen) == 12
    finally:
        ctx.close()


def test_keyboard_only_sign_in_and_consent(
    chromium: Browser,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
) -> None:
    ctx = _context(chromium, VIEWPORTS["desktop"])
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        client = register(api, rp_site.redirect_uri)
        attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri)
        page.goto(attempt.url)
        assert page.evaluate("document.activeElement.id") == "username"  # autofocus
        page.keyboard.type(ADMIN)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "password"
        assert focus_is_visible(page)
        page.keyboard.type(authgate_server.admin_password)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "login"
        assert focus_is_visible(page)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert path_of(page.url) == CONSENT_PATH
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "allow":
                break
        assert page.evaluate("document.activeElement.id") == "allow"
        assert focus_is_visible(page)
        with page.expect_navigation(url=lambda url: url.startswith(attempt.redirect_uri)):
            page.keyboard.press("Enter")
        assert "code" in landed(page, rp_site, attempt)
    finally:
        ctx.close()


@pytest.mark.parametrize("how", ["ui_locales", "Accept-Language"])
def test_german_pages(
    chromium: Browser,
    axe: str,
    api: httpx.Client,
    authgate_server: AuthgateServer,
    rp_site: RelyingPartySite,
    how: str,
) -> None:
    by_parameter = how == "ui_locales"
    ctx = _context(chromium, MOBILE, locale="en-US" if by_parameter else "de-DE")
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        client = register(api, rp_site.redirect_uri)
        extra = {"ui_locales": "de"} if by_parameter else {}
        attempt = prepare(authgate_server, client["client_id"], rp_site.redirect_uri, **extra)
        page.goto(attempt.url)
        assert page.evaluate("document.documentElement.lang") == "de"
        assert page.inner_text("h1") == "Anmelden"
        assert page.inner_text("label[for=username]") == "Benutzername"
        assert_accessible(page, axe)
        submit_login(page, ADMIN, "falsch")
        assert page.inner_text("#login-error") == "Benutzername oder Passwort ist falsch."
        submit_login(page, ADMIN, authgate_server.admin_password)
        assert page.inner_text("h1") == "Zugriff erlauben?"
        assert page.inner_text("#allow") == "Erlauben"
        assert_accessible(page, axe)
        assert fits_the_viewport(page)
    finally:
        ctx.close()


def test_the_playground_in_german(
    chromium: Browser, axe: str, authgate_server: AuthgateServer
) -> None:
    """The page and the messages its script writes (handed over in ``data-text``)."""
    ctx = _context(chromium, MOBILE, locale="de-DE")
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{authgate_server.issuer}/playground")
        page.wait_for_selector("#playground[data-ready=true]")
        assert page.evaluate("document.documentElement.lang") == "de"
        assert page.inner_text("h1") == "PKCE-Playground"
        assert page.inner_text("#server-info").startswith("Issuer ")
        assert "PKCE-Methoden: S256, plain." in page.inner_text("#server-info")
        assert page.inner_text("#method-note").startswith("Der Server akzeptiert S256, plain.")
        assert_accessible(page, axe)
        assert fits_the_viewport(page)
    finally:
        ctx.close()


THEME_CSS = "header.brand { background: rgb(255, 248, 220); }\n"
LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">'
    '<rect width="120" height="32" fill="#7a1f5c"/></svg>\n'
)
THEMED_COLOUR = "#7a1f5c"


def _background(page: Page, selector: str) -> str:
    colour: str = page.evaluate(
        "s => getComputedStyle(document.querySelector(s)).backgroundColor", selector
    )
    return colour


@pytest.fixture(scope="module")
def themed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthgateServer]:
    """A second server with a theme directory: a login template, a stylesheet and a logo."""
    base = tmp_path_factory.mktemp("authgate-theme")
    theme = base / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    package_login = Path(__file__).resolve().parents[2] / "src/authgate/web/templates/login.html"
    login = package_login.read_text().replace(
        '<p class="lead">', '<p id="theme-marker">Example Corp single sign-on</p>\n<p class="lead">'
    )
    (theme / "templates" / "login.html").write_text(login)
    (theme / "static" / "theme.css").write_text(THEME_CSS)
    (theme / "static" / "logo.svg").write_text(LOGO_SVG)
    server = AuthgateServer(
        data_dir=base / "data",
        admin_password=secrets.token_urlsafe(12),
        environment={"AUTHGATE_THEME_DIR": str(theme)},
    )
    try:
        server.start()
        server.configure(
            "brandName", "Example Corp",
            "brandPrimaryColor", THEMED_COLOUR,
            "brandLogoUri", "/jans-auth/theme/logo.svg",
            "brandSupportUri", "https://help.example.com/",
        )  # fmt: skip
        yield server
    finally:
        server.stop()


def test_theme_override(chromium: Browser, axe: str, themed_server: AuthgateServer) -> None:
    issuer = themed_server.issuer
    with httpx.Client(base_url=issuer, timeout=10.0) as api:
        client: dict[str, Any] = register(api, "http://127.0.0.1:9/jans-auth-rp/home.htm")
    attempt = prepare(
        themed_server, client["client_id"], "http://127.0.0.1:9/jans-auth-rp/home.htm"
    )
    ctx = _context(chromium, MOBILE)
    try:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(attempt.url)
        assert page.inner_text("#theme-marker") == "Example Corp single sign-on"
        assert page.title() == "Sign in - Example Corp"
        logo = page.locator("#brand-logo")
        assert logo.get_attribute("alt") == "Example Corp"
        assert page.evaluate("document.getElementById('brand-logo').naturalWidth") == 120
        background = page.evaluate(
            "getComputedStyle(document.getElementById('login')).backgroundColor"
        )
        assert background == "rgb(122, 31, 92)"
        header = page.evaluate(
            "getComputedStyle(document.querySelector('header.brand')).backgroundColor"
        )
        assert header == "rgb(255, 248, 220)"  # the theme's stylesheet is applied
        assert page.get_attribute("#support-link", "href") == "https://help.example.com/"
        assert_accessible(page, axe)
        assert fits_the_viewport(page)
        # a template the theme does not override still gets the branding
        page.goto(f"{issuer}/jans-auth/restv1/authorize?client_id=nobody&response_type=code")
        assert page.title() == "Error - Example Corp"
        assert page.evaluate("document.getElementById('brand-logo').naturalWidth") == 120
    finally:
        ctx.close()
