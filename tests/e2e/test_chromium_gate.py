"""When the browser tests run, skip, or fail: the rule in ``harness.require_chromium``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import REQUIRE_BROWSER_ENV, require_chromium


def test_an_executable_browser_is_used(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    assert require_chromium(browser, {REQUIRE_BROWSER_ENV: "1"}) == browser


def test_a_missing_browser_skips_the_browser_tests(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        require_chromium(tmp_path / "chromium", {})


@pytest.mark.parametrize("value", ["0", ""])
def test_only_the_value_1_makes_the_browser_required(tmp_path: Path, value: str) -> None:
    with pytest.raises(pytest.skip.Exception):
        require_chromium(tmp_path / "chromium", {REQUIRE_BROWSER_ENV: value})


def test_a_missing_browser_fails_when_required(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_BROWSER_ENV}=1"):
        require_chromium(tmp_path / "chromium", {REQUIRE_BROWSER_ENV: "1"})


def test_a_file_that_is_not_executable_is_not_a_browser(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("not a program")
    browser.chmod(0o644)
    with pytest.raises(pytest.fail.Exception):
        require_chromium(browser, {REQUIRE_BROWSER_ENV: "1"})
