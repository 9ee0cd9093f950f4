"""Fixtures for the end-to-end tests: Chromium (or a skip), the real server, the relying
party's page, and a fresh browser context per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    AuthgateServer,
    RelyingPartySite,
    require_chromium,
)


@pytest.fixture(scope="module")
def chromium_executable() -> Path:
    return require_chromium(CHROMIUM, os.environ)


@pytest.fixture(scope="session")
def authgate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthgateServer]:
    """A real ``authgate serve`` on a fresh data directory (it does not exist yet).

    One per session: a start (migrations, key generation, the admin's argon2id hash) takes
    seconds, and the modules share nothing on it but the admin user and the configuration,
    which none of them changes; each registers its own clients and browses in fresh
    contexts."""
    base = tmp_path_factory.mktemp("authgate-e2e")
    server = AuthgateServer(data_dir=base / "data", admin_password=secrets.token_urlsafe(12))
    try:
        server.start()
        # The modules register more clients from 127.0.0.1 than the default registration
        # rate limit allows in a minute (docs/security.md, "Rate limits").
        server.configure("rateLimitRegistrationRequestCount", "0")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def rp_site() -> Iterator[RelyingPartySite]:
    with RelyingPartySite() as site:
        yield site


@pytest.fixture
def api(authgate_server: AuthgateServer) -> Iterator[httpx.Client]:
    """Plain HTTP to the server, as the client application's back end (or curl) talks to it."""
    with httpx.Client(base_url=authgate_server.issuer, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="module")
def chromium(chromium_executable: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_executable), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies, so no login session yet."""
    ctx = chromium.new_context()
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return tab
