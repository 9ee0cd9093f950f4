"""A theme directory (``AUTHGATE_THEME_DIR``) over HTTP: its templates win, its static files
are served under /jans-auth/theme/ and its stylesheet is linked and allowed by the CSP; a
missing directory is refused at start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.web import pages
from authgate.web.app import create_app
from tests.support import ISSUER, SQLITE_ONLY


@pytest.fixture
def theme(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "theme"
    (root / "templates").mkdir(parents=True)
    (root / "static").mkdir()
    (root / "templates" / "error.html").write_text(
        '{% extends "base.html" %}{% block title %}Oops{% endblock %}'
        '{% block content %}<h1 id="themed">{{ message }}</h1>{% endblock %}'
    )
    (root / "static" / "theme.css").write_text("main { border: 2px solid #000; }\n")
    yield root
    pages.configure(None)  # the package's templates again for the tests that follow


@SQLITE_ONLY
async def test_theme_templates_and_static_files(runtime: Runtime, theme: Path) -> None:
    settings = runtime.settings.model_copy(update={"theme_dir": theme})
    transport = httpx.ASGITransport(app=create_app(settings, runtime))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        page = await http.get("/jans-auth/restv1/authorize?client_id=nobody")
        assert page.status_code == 400
        assert '<h1 id="themed">' in page.text and "<title>Oops - authgate</title>" in page.text
        assert '<link rel="stylesheet" href="/jans-auth/theme/theme.css">' in page.text
        csp = page.headers["content-security-policy"]
        assert "style-src 'self' 'unsafe-inline'" in csp and "script-src" not in csp
        css = await http.get("/jans-auth/theme/theme.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert (await http.get("/jans-auth/theme/../templates/error.html")).status_code == 404
        assert (await http.get("/jans-auth/theme/missing.png")).status_code == 404


@SQLITE_ONLY
async def test_without_a_theme_styles_stay_inline_only(http: httpx.AsyncClient) -> None:
    page = await http.get("/jans-auth/restv1/authorize?client_id=nobody")
    assert "theme.css" not in page.text
    assert "style-src 'unsafe-inline';" in page.headers["content-security-policy"]
    assert (await http.get("/jans-auth/theme/theme.css")).status_code == 404


@SQLITE_ONLY
async def test_an_app_built_after_a_themed_one_has_the_templates_of_its_own(
    runtime: Runtime, theme: Path
) -> None:
    """``pages.configure`` keeps its compiled templates only while the theme stays the same."""
    themed = runtime.settings.model_copy(update={"theme_dir": theme})

    async def error_page(settings: Settings) -> str:
        transport = httpx.ASGITransport(app=create_app(settings, runtime))
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            return (await http.get("/jans-auth/restv1/authorize?client_id=nobody")).text

    assert '<h1 id="themed">' in await error_page(themed)
    environment = pages._ENV
    assert '<h1 id="themed">' in await error_page(themed)
    assert pages._ENV is environment  # the same theme: nothing compiled again
    plain = await error_page(runtime.settings)
    assert '<h1 id="themed">' not in plain and "<title>Error - authgate</title>" in plain
    assert pages._ENV is not environment


def test_a_missing_theme_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a directory"):
        Settings(theme_dir=tmp_path / "missing")
