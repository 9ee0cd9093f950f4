"""The pages' language: which one a request gets, and its gettext catalog.

Choice (docs/theming.md, "Languages"): the first supported tag of the authorization
request's ``ui_locales`` (OIDC Core §3.1.2.1; carried in the interaction, handed over with
:func:`prefer`), then of the ``Accept-Language`` header (RFC 9110 §12.5.4, by quality), then
the configuration's ``uiLocaleDefault``. A tag matches a supported one exactly or by its
primary language (``de-AT`` gets ``de``); anything else is skipped, never an error.

Catalogs are the compiled ``web/locales/<tag>/LC_MESSAGES/messages.mo`` files (``make
translations`` builds them from the ``.po`` files; tests/web/test_catalogs.py checks they
agree). Protocol error codes and the JSON ``error_description`` of API endpoints are not
translated: they are for programs and stay English (RFC 6749 §5.2).

The request a page is rendered for is known through a context variable set by
:class:`PageContextMiddleware`, so any handler can call :func:`gettext` or
:func:`authgate.web.pages.page` without passing it along.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from pathlib import Path

from babel.support import Translations
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from authgate.appconfig import AppConfiguration

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
#: The language the templates and messages are written in: it needs no catalog.
SOURCE_LOCALE = "en"
#: Longest ``Accept-Language`` or ``ui_locales`` value read; the rest is ignored.
MAX_HEADER = 512
MAX_TAGS = 16

_REQUEST: ContextVar[Request | None] = ContextVar("authgate_page_request", default=None)
_HINT: ContextVar[tuple[str, ...]] = ContextVar("authgate_ui_locales", default=())


class PageContextMiddleware:
    """Remembers the request being served, for the pages' language and branding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            _REQUEST.set(Request(scope))
            _HINT.set(())
        await self.app(scope, receive, send)


def current_request() -> Request | None:
    return _REQUEST.get()


def prefer(ui_locales: Iterable[str]) -> None:
    """The authorization request's ``ui_locales``, in its order, for the rest of this request."""
    _HINT.set(tuple(ui_locales)[:MAX_TAGS])


def parse_accept_language(header: str | None) -> list[str]:
    """The tags of an ``Accept-Language`` value, highest quality first (RFC 9110 §12.5.4);
    ``q=0`` and malformed entries are dropped."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header[:MAX_HEADER].split(",")[: MAX_TAGS * 2]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params:
            name, _, value = params.partition("=")
            if name.strip().lower() != "q":
                continue
            try:
                quality = float(value.strip())
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(candidates: Iterable[str], supported: Sequence[str]) -> str | None:
    """The first candidate tag that a supported language matches, exactly or by its primary
    subtag; None when none does."""
    lowered = [(s, s.lower()) for s in supported]
    for tag in candidates:
        wanted = tag.strip().lower().replace("_", "-")
        if not wanted or wanted == "*":
            continue
        primary = wanted.split("-", 1)[0]
        for name, low in lowered:
            if low == wanted:
                return name
        for name, low in lowered:
            if low.split("-", 1)[0] == primary:
                return name
    return None


def choose(ui_locales: Sequence[str], accept_language: str | None, config: AppConfiguration) -> str:
    """The page language: ``ui_locales``, then ``Accept-Language``, then the default."""
    supported = config.uiLocalesSupported
    return (
        negotiate(ui_locales, supported)
        or negotiate(parse_accept_language(accept_language), supported)
        or config.uiLocaleDefault
    )


def config_of(request: Request | None) -> AppConfiguration:
    """The running configuration, or the defaults outside a running server."""
    try:
        config: AppConfiguration = request.app.state.runtime.services.config.current  # type: ignore[union-attr]
        return config
    except AttributeError:
        return _defaults()


@functools.cache
def _defaults() -> AppConfiguration:
    return AppConfiguration()


def current_locale() -> str:
    """The language of the page being served now."""
    request = _REQUEST.get()
    header = request.headers.get("accept-language") if request is not None else None
    return choose(_HINT.get(), header, config_of(request))


@functools.cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``locale``; the source language has none."""
    if locale == SOURCE_LOCALE:
        return _gettext.NullTranslations()
    path = LOCALES / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


def gettext(message: str) -> str:
    """``message`` in the current page's language."""
    return translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


#: The conventional name, so ``make messages`` finds the messages of Python modules.
_ = gettext


def N_(message: str) -> str:
    """Marks ``message`` for extraction without translating it yet."""
    return message
