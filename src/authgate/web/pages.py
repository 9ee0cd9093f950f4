"""HTML pages (login, consent, errors) rendered with Jinja2 templates compiled once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from authgate.web.responses import PAGE_HEADERS

TEMPLATES = Path(__file__).parent / "templates"


def make_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
        enable_async=False,
    )


_ENV = make_environment()


def page(
    name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """Render ``name`` with clickjacking, caching and referrer protections (RFC 9700 §4.16)."""
    html = _ENV.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={**PAGE_HEADERS, **(headers or {})})
