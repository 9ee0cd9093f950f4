"""HTML pages (login, consent, errors, ...) rendered with Jinja2 templates compiled once.

Every page is rendered in the request's language (:mod:`authgate.web.i18n`) with the
configuration's branding (``brand*`` members), and a theme directory's templates win over the
package's (``AUTHGATE_THEME_DIR``, :func:`configure`; docs/theming.md lists the templates and
their variables).
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from authgate.appconfig import AppConfiguration
from authgate.web import i18n
from authgate.web.responses import ASSETS, PAGE_HEADERS
from authgate.web.script_text import script_text

TEMPLATES = Path(__file__).parent / "templates"
#: Where a theme directory's ``static/`` files are served.
THEME_STATIC_PATH = "/jans-auth/theme"
#: A theme's stylesheet, linked from every page when the theme has one.
THEME_STYLESHEET = "theme.css"

_SOURCE = _gettext.NullTranslations()
_ACTIVE: ContextVar[_gettext.NullTranslations | None] = ContextVar(
    "authgate_page_translations", default=None
)


def _gettext_active(message: str) -> str:
    return (_ACTIVE.get() or _SOURCE).gettext(message)


def _ngettext_active(singular: str, plural: str, n: int) -> str:
    return (_ACTIVE.get() or _SOURCE).ngettext(singular, plural, n)


def make_environment(theme_dir: Path | None = None) -> Environment:
    """The template environment: the theme's ``templates/`` first, then the package's."""
    loaders = [FileSystemLoader(TEMPLATES)]
    if theme_dir is not None:
        loaders.insert(0, FileSystemLoader(theme_dir / "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
        enable_async=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext_active, ngettext=_ngettext_active, newstyle=True
    )
    # a message id from data (a scope's description): translated when the catalog has it
    env.filters["translate"] = _gettext_active
    # the translations a page script's messages need, for its data-text (web/script_text.py)
    env.globals["script_text"] = script_text
    return env


@dataclass(frozen=True, slots=True)
class Theme:
    """What ``AUTHGATE_THEME_DIR`` gives the pages, looked at once, at start."""

    #: The directory served under :data:`THEME_STATIC_PATH`, if the theme has one.
    static: Path | None = None
    #: The path of the theme's stylesheet, if it has one.
    stylesheet: str | None = None

    @classmethod
    def of(cls, directory: Path | None) -> Theme:
        if directory is None or not (directory / "static").is_dir():
            return cls()
        static = directory / "static"
        css = static / THEME_STYLESHEET
        return cls(static, f"{THEME_STATIC_PATH}/{THEME_STYLESHEET}" if css.is_file() else None)


_ENV = make_environment()
_ENV_THEME: Path | None = None
_THEME = Theme()


def configure(theme_dir: Path | None) -> None:
    """Use ``theme_dir``'s overrides from now on (at start; None: the package's only).

    The template environment, with the templates it has compiled, is kept when the theme
    directory is the one already in use: an application built again in the same process
    (the tests build hundreds) does not compile every template again."""
    global _ENV, _ENV_THEME, _THEME
    if theme_dir != _ENV_THEME:
        _ENV = make_environment(theme_dir)
        _ENV_THEME = theme_dir
    _THEME = Theme.of(theme_dir)


def theme_routes() -> list[BaseRoute]:
    """The theme's static files under :data:`THEME_STATIC_PATH`, when it has any."""
    static = _THEME.static
    if static is None:
        return []
    return [Mount(THEME_STATIC_PATH, app=StaticFiles(directory=static), name="theme")]


@dataclass(frozen=True, slots=True)
class Brand:
    """The branding members of the configuration, as templates see them (``brand``)."""

    name: str
    logo: str
    color: str
    support: str


def asset_sources(config: AppConfiguration | None = None) -> str:
    """The pages' ``style-src`` and ``img-src``: inline styles, the theme's stylesheet when it
    has one, images from this server and from the logo's https origin; no script, no font."""
    if config is None:
        config = i18n.config_of(i18n.current_request())
    styles = "'self' 'unsafe-inline'" if _THEME.stylesheet else "'unsafe-inline'"
    images = "'self' data:"
    logo = config.brandLogoUri
    if logo.startswith("https://"):
        images += f" https://{urlsplit(logo).netloc}"
    return f"style-src {styles}; img-src {images}"


def _csp(config: AppConfiguration) -> str:
    return f"default-src 'none'; {asset_sources(config)}; frame-ancestors 'none'; base-uri 'none'"


def page(
    name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """Render ``name`` with clickjacking, caching and referrer protections (RFC 9700 §4.16),
    in the request's language and with the configured branding."""
    config = i18n.config_of(i18n.current_request())
    locale = i18n.current_locale()
    token = _ACTIVE.set(i18n.translations(locale))
    try:
        html = _ENV.get_template(name).render(
            lang=locale,
            brand=Brand(
                config.brandName,
                config.brandLogoUri,
                config.brandPrimaryColor,
                config.brandSupportUri,
            ),
            theme_stylesheet=_THEME.stylesheet,
            **context,
        )
    finally:
        _ACTIVE.reset(token)
    merged = {**PAGE_HEADERS, "Content-Security-Policy": _csp(config), **(headers or {})}
    policy = merged["Content-Security-Policy"]
    if ASSETS in policy:  # a page's own policy, with the pages' styles and images
        merged["Content-Security-Policy"] = policy.replace(ASSETS, asset_sources(config))
    return HTMLResponse(
        html, status_code=status_code, headers={**merged, "Content-Language": locale}
    )
