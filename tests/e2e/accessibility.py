"""Accessibility checks for pages open in Chromium: axe-core (from the npm registry, installed
at test time into ``.cache/e2e-npm``; skipped without npm unless ``AUTHGATE_REQUIRE_BROWSER=1``)
and the checks axe does not make: input border contrast (WCAG 2.2 SC 1.4.11), a visible
focus indicator (SC 2.4.7) and no horizontal scrolling at 390 px (SC 1.4.10)."""

from __future__ import annotations

import os
import re
from typing import Any

from playwright.sync_api import Page, ViewportSize

from tests.e2e.npm import npm_file

AXE_VERSION = "4"
#: The rules axe runs: WCAG 2.0, 2.1 and 2.2, levels A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = ("serious", "critical")
MOBILE: ViewportSize = {"width": 390, "height": 844}


def axe_source() -> str:
    return npm_file("axe-core", AXE_VERSION, "axe.min.js", os.environ).read_text()


def axe_violations(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now. The script is
    evaluated through the DevTools protocol, which the pages' CSP (no scripts) does not
    govern; the pages themselves stay as served."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


def assert_accessible(page: Page, source: str) -> None:
    violations = axe_violations(page, source)
    assert violations == [], f"{page.url}: {violations}"
    assert page.evaluate("document.documentElement.lang") != ""
    for ratio in input_border_contrasts(page):
        assert ratio >= 3.0, f"{page.url}: an input's border has {ratio:.2f}:1"


def _rgb(value: str) -> tuple[float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", value)[:3]]
    return numbers[0], numbers[1], numbers[2]


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two CSS ``rgb(...)`` colours."""
    high, low = sorted((_luminance(_rgb(first)), _luminance(_rgb(second))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def input_border_contrasts(page: Page) -> list[float]:
    """Contrast of each visible text input's border against the card behind it."""
    pairs: list[list[str]] = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden])')]
            .filter(e => e.offsetParent !== null)
            .map(e => [getComputedStyle(e).borderTopColor,
                       getComputedStyle(e.closest('main') || document.body).backgroundColor])"""
    )
    return [contrast(border, background) for border, background in pairs]


def focus_is_visible(page: Page) -> bool:
    """The focused element draws an outline (the pages' :focus-visible style)."""
    style: dict[str, str] = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return {style: s.outlineStyle, width: s.outlineWidth}; }"""
    )
    return style["style"] != "none" and float(style["width"].removesuffix("px") or 0) >= 2


def fits_the_viewport(page: Page) -> bool:
    """No horizontal scrolling, and the card is not cut off on either side."""
    return bool(
        page.evaluate(
            """() => {
                const main = document.querySelector('main').getBoundingClientRect();
                return document.scrollingElement.scrollWidth <= window.innerWidth
                    && main.left >= 0 && main.right <= window.innerWidth;
            }"""
        )
    )
