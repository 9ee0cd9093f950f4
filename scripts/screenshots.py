"""Screenshots of authgate's pages for the README, taken from a real server in headless Chromium.

Starts ``authgate serve`` on 127.0.0.1 with a throwaway SQLite data directory (the end-to-end
tests' harness, tests/e2e/harness.py), drives Debian's Chromium with the tests' flags, writes
PNGs, and stops the server by its pid.

    PYTHONPATH=src:. python scripts/screenshots.py            # write docs/screenshots/*.png
    PYTHONPATH=src:. python scripts/screenshots.py --check    # render to a temporary directory
                                                              # and verify every file

Each scene is one function decorated with ``@scene``: it gets a :class:`Studio` (the server,
a fresh browser profile per scene, and ``shoot`` to save a page or one of its parts) and
returns nothing. Add a page by adding a function.
"""

from __future__ import annotations

import argparse
import secrets
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Browser, FloatRect, Page, ViewportSize, expect, sync_playwright
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, AuthgateServer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
#: Every screenshot is this wide (CSS pixels, device scale 1).
WIDTH = 1280
VIEWPORT: ViewportSize = {"width": WIDTH, "height": 860}
#: Space kept above and below a part of a page.
MARGIN = 16
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Studio:
    """What a scene works with."""

    server: AuthgateServer
    browser: Browser
    out: Path
    written: list[Path] = field(default_factory=list)

    def new_page(self) -> Page:
        """A tab in a fresh browser profile (no cookies: nobody is signed in)."""
        context = self.browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    def shoot(self, page: Page, name: str, selector: str | None = None) -> None:
        """Save ``page`` as ``name``: the viewport, or the full width of the page around the
        element ``selector``."""
        path = self.out / name
        if selector is None:
            page.screenshot(path=str(path))
        else:
            box = page.locator(selector).bounding_box()
            assert box is not None, f"{selector} is not visible"
            # the box is relative to the viewport, the clip of a full-page shot to the page
            scrolled = float(page.evaluate("window.scrollY"))
            top = max(0.0, box["y"] + scrolled - MARGIN)
            height = box["height"] + 2 * MARGIN
            clip: FloatRect = {"x": 0.0, "y": top, "width": float(WIDTH), "height": height}
            page.screenshot(path=str(path), full_page=True, clip=clip)
        optimise_png(path)
        self.written.append(path)


Scene = Callable[[Studio], None]
SCENES: list[Scene] = []
#: The files the scenes write, for --check.
EXPECTED: list[str] = []


def scene(*names: str) -> Callable[[Scene], Scene]:
    """Register a scene and the file names it writes."""

    def register(function: Scene) -> Scene:
        SCENES.append(function)
        EXPECTED.extend(names)
        return function

    return register


def sign_in(popup: Page, server: AuthgateServer) -> None:
    popup.wait_for_selector("#username")
    popup.fill("#username", "admin")
    popup.fill("#password", server.admin_password)
    popup.click("#login")
    popup.wait_for_selector("#allow")
    popup.click("#allow")


def authorization_url(server: AuthgateServer, **extra: str) -> str:
    """A new public client's authorization request (PKCE, the playground's callback)."""
    redirect_uri = f"{server.issuer}/playground/callback"
    registration = {
        "client_name": "PKCE Test Client",
        "token_endpoint_auth_method": "none",
        "redirect_uris": [redirect_uri],
    }
    client = httpx.post(f"{server.issuer}/jans-auth/restv1/register", json=registration).json()
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
    query = httpx.QueryParams(
        response_type="code",
        client_id=client["client_id"],
        scope="openid profile email",
        redirect_uri=redirect_uri,
        state=secrets.token_urlsafe(16),
        code_challenge=challenge,
        code_challenge_method="S256",
        **extra,
    )
    return f"{server.issuer}/jans-auth/restv1/authorize?{query}"


def sign_in_and_consent_pages(studio: Studio, suffix: str, **extra: str) -> None:
    """The sign-in page, then the consent page of the same request."""
    server = studio.server
    page = studio.new_page()
    page.goto(authorization_url(server, **extra))
    page.wait_for_selector("#username")
    studio.shoot(page, f"login{suffix}.png")
    page.fill("#username", "admin")
    page.fill("#password", server.admin_password)
    page.click("#login")
    page.wait_for_selector("#allow")
    studio.shoot(page, f"consent{suffix}.png")


@scene("login.png", "consent.png")
def login_page(studio: Studio) -> None:
    """The sign-in and consent pages of an authorization request, in English."""
    sign_in_and_consent_pages(studio, "")


@scene("login-de.png", "consent-de.png")
def login_page_german(studio: Studio) -> None:
    """The same pages in German, asked for with ``ui_locales=de``."""
    sign_in_and_consent_pages(studio, "-de", ui_locales="de")


@scene(
    "playground-1-verifier.png",
    "playground-2-register.png",
    "playground-3-authorize.png",
    "playground-4-tokens.png",
    "playground-4-failures.png",
)
def playground(studio: Studio) -> None:
    """The PKCE playground, one picture per step, and the three failures."""
    server = studio.server
    page = studio.new_page()
    page.goto(f"{server.issuer}/playground")
    expect(page.locator("#playground")).to_have_attribute("data-ready", "true")
    studio.shoot(page, "playground-1-verifier.png", "#step-1")

    page.click("#register")
    expect(page.locator("#registration-response")).to_contain_text("HTTP 201")
    studio.shoot(page, "playground-2-register.png", "#step-2")

    with page.expect_popup() as popup:
        page.click("#authorize")
    sign_in(popup.value, server)
    expect(page.locator("#authorize-summary")).to_contain_text("Code received")
    studio.shoot(page, "playground-3-authorize.png", "#step-3")

    page.click("#exchange")
    expect(page.locator("#signature-result")).to_have_attribute("data-verified", "true")
    page.click("#userinfo")
    expect(page.locator("#userinfo-response")).to_contain_text("HTTP 200")
    studio.shoot(page, "playground-4-tokens.png", "#tokens")

    with page.expect_popup() as popup:
        page.click("#fail-verifier")
    expect(page.locator("#fail-verifier-result")).to_contain_text("HTTP 400")
    page.click("#fail-replay")
    expect(page.locator("#fail-replay-result")).to_contain_text("HTTP 401")
    with page.expect_popup() as popup:
        page.click("#fail-challenge")
    expect(page.locator("#fail-challenge-result")).to_contain_text("invalid_request")
    studio.shoot(page, "playground-4-failures.png", "#failures")


def virtual_authenticator(page: Page) -> None:
    """A CDP virtual authenticator (a platform authenticator with resident keys and user
    verification) for the page's browser context."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def authorize_url(server: AuthgateServer, client_id: str, redirect_uri: str) -> str:
    query = httpx.QueryParams(
        response_type="code",
        client_id=client_id,
        scope="openid profile email",
        redirect_uri=redirect_uri,
        state=secrets.token_urlsafe(16),
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",  # RFC 7636 Appendix B
        code_challenge_method="S256",
    )
    return f"{server.issuer}/jans-auth/restv1/authorize?{query}"


@scene(
    "signin-passkey.png",
    "signin-second-factor.png",
    "account.png",
    "account-authenticator.png",
)
def passkeys_and_account(studio: Studio) -> None:
    """Sign-in with passkeys and the account page: a user signs in to an app with the
    password, adds a passkey on the account page, and signs in again: the login page offers
    the passkey, the password is followed by the second-factor page; then the account page
    (profile, factors, the connected app, the session) and the authenticator app enrolment."""
    server = studio.server
    redirect_uri = f"{server.issuer}/playground/callback"
    registration = {
        "client_name": "Photo Gallery",
        "token_endpoint_auth_method": "none",
        "redirect_uris": [redirect_uri],
    }
    client = httpx.post(f"{server.issuer}/jans-auth/restv1/register", json=registration).json()
    page = studio.new_page()
    virtual_authenticator(page)
    page.goto(authorize_url(server, client["client_id"], redirect_uri))
    sign_in(page, server)
    # The callback page hands the code to the playground at once (/playground/callback, then
    # /playground#step-3): on a busy machine it may have moved on before this wait starts.
    page.wait_for_url(f"{server.issuer}/playground**")

    page.goto(f"{server.issuer}/account/security/passkeys")
    page.fill("#passkey-name", "This laptop")
    with page.expect_navigation():  # the script reloads the page once the passkey is stored
        page.click("#passkey-add")
    expect(page.locator("#passkeys .passkey-name")).to_have_text(["This laptop"])

    # the login page of a new sign-in, in a browser without passkey autofill (which would
    # sign in at once): the passkey button under the password form
    fresh = studio.new_page()
    fresh.add_init_script(
        "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"
    )
    fresh.goto(authorize_url(server, client["client_id"], redirect_uri))
    expect(fresh.locator("#passkey-login")).to_be_visible()
    studio.shoot(fresh, "signin-passkey.png")
    fresh.fill("#username", "admin")
    fresh.fill("#password", server.admin_password)
    fresh.click("#login")
    expect(fresh.locator("#passkey-confirm")).to_be_visible()
    studio.shoot(fresh, "signin-second-factor.png")

    page.goto(f"{server.issuer}/account")
    page.wait_for_selector("#profile")
    studio.shoot(page, "account.png")
    page.goto(f"{server.issuer}/account/security/authenticator/add")
    page.wait_for_selector("#qr svg")
    studio.shoot(page, "account-authenticator.png")


#: Two button icons as data URIs (the login page fetches nothing for them).
_CORP_ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20'%3E"
    "%3Crect width='20' height='20' rx='4' fill='%232457d6'/%3E%3Cpath d='M5 10h10M10 5v10' "
    "stroke='white' stroke-width='2.5'/%3E%3C/svg%3E"
)
_GIT_ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 20'%3E"
    "%3Ccircle cx='10' cy='10' r='9' fill='%231d2330'/%3E%3Ccircle cx='10' cy='9' r='4' "
    "fill='white'/%3E%3C/svg%3E"
)


def _providers(server: AuthgateServer, *args: str) -> None:
    """``authgate providers ARGS`` on the server's database, as an administrator would."""
    command = [sys.executable, "-m", "authgate", "providers", *args]
    command += ["--data-dir", str(server.data_dir)]
    env = {**server._env(), "AUTHGATE_PROVIDER_SECRET": secrets.token_urlsafe(24)}
    subprocess.run(  # noqa: S603 - our own command line, no shell
        command, env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL
    )


@scene("login-providers.png")
def login_with_providers(studio: Studio) -> None:
    """The sign-in page with two upstream identity providers (docs/federation.md): an OpenID
    Provider and the github preset, each a button under the password form."""
    server = studio.server
    _providers(server, "add", "corp", "--issuer", "https://idp.corp.example",
               "--upstream-client-id", "authgate", "--display-name", "Corp SSO",
               "--icon", _CORP_ICON)  # fmt: skip
    _providers(server, "add", "github", "--preset", "github", "--upstream-client-id", "Iv1.a1b2",
               "--icon", _GIT_ICON)  # fmt: skip
    try:
        redirect_uri = f"{server.issuer}/playground/callback"
        registration = {
            "client_name": "Photo Gallery",
            "token_endpoint_auth_method": "none",
            "redirect_uris": [redirect_uri],
        }
        client = httpx.post(f"{server.issuer}/jans-auth/restv1/register", json=registration).json()
        page = studio.new_page()
        page.add_init_script(
            "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"
        )
        page.goto(authorize_url(server, client["client_id"], redirect_uri))
        expect(page.locator("#idp-corp")).to_be_visible()
        expect(page.locator("#idp-github")).to_be_visible()
        studio.shoot(page, "login-providers.png")
    finally:
        _providers(server, "remove", "corp")
        _providers(server, "remove", "github")


def optimise_png(path: Path) -> None:
    """Recompress a PNG's image data at zlib's highest level (lossless; Chromium writes it
    fast rather than small) and drop ancillary chunks."""
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC), f"{path} is not a PNG"
    chunks: list[tuple[bytes, bytes]] = []
    image = b""
    offset = len(PNG_MAGIC)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IDAT":
            image += body
        elif kind in (b"IHDR", b"PLTE", b"tRNS", b"IEND"):
            chunks.append((kind, body))
    packed = zlib.compress(zlib.decompress(image), 9)
    out = bytearray(PNG_MAGIC)
    for kind, body in chunks:
        if kind == b"IEND":
            out += _chunk(b"IDAT", packed)
        out += _chunk(kind, body)
    if len(out) < len(data):
        path.write_bytes(bytes(out))


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    if not head.startswith(PNG_MAGIC) or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@dataclass
class LocalhostServer(AuthgateServer):
    """The harness's server, known to the browser as ``localhost``: WebAuthn needs a domain
    as its relying party id, never an IP address (it still listens on 127.0.0.1 only)."""

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}"


@contextmanager
def running_server(base: Path) -> Iterator[AuthgateServer]:
    """``authgate serve`` on a fresh data directory with the default configuration."""
    server = LocalhostServer(data_dir=base / "data", admin_password=secrets.token_urlsafe(12))
    server.environment["AUTHGATE_ISSUER_URL"] = server.issuer
    try:
        server.start()
        yield server
    finally:
        server.stop()


def render(out: Path) -> list[Path]:
    """Run every scene against a new server; the files written."""
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="authgate-screenshots-") as tmp,
        running_server(Path(tmp)) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            studio = Studio(server, browser, out)
            for run in SCENES:
                run(studio)
        finally:
            browser.close()
    return studio.written


def verify(out: Path, written: list[Path]) -> list[str]:
    """Problems with the files in ``out``: missing, not a PNG, not WIDTH wide, empty-looking."""
    problems = []
    if sorted(p.name for p in written) != sorted(EXPECTED):
        problems.append(f"scenes wrote {sorted(p.name for p in written)}, expected {EXPECTED}")
    for name in EXPECTED:
        path = out / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        width, height = png_size(path)
        if width != WIDTH or height < 100:
            problems.append(f"{name}: {width}x{height}, expected {WIDTH} wide")
        if path.stat().st_size < 5_000:
            problems.append(f"{name}: only {path.stat().st_size} bytes")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="render to a temporary directory")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output directory ({OUT})")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="authgate-screenshots-check-") as tmp:
            out = Path(tmp)
            problems = verify(out, render(out))
    else:
        out = args.out
        written = render(out)
        problems = verify(out, written)
        for path in written:
            print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
