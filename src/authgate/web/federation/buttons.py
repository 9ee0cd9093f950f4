"""The login page's provider buttons: the enabled providers, where each button leads, and the
page's image policy (an icon is a ``data:`` URI, or an ``https`` URL the administrator
configured; only those origins are added to ``img-src``)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from authgate.core import endpoints
from authgate.core.federation.model import Provider
from authgate.core.ports import Services
from authgate.core.types import Interaction
from authgate.web.responses import ASSETS

_CSP = "Content-Security-Policy"


@dataclass(frozen=True, slots=True)
class Button:
    alias: str
    label: str
    icon: str
    href: str


async def enabled(svc: Services) -> list[Provider]:
    if svc.federation is None:
        return []
    return [p for p in await svc.federation.store.providers() if p.enabled]


def href(provider: Provider, ix: Interaction) -> str:
    path = endpoints.FEDERATION_LOGIN.format(alias=provider.alias)
    return f"{path}?{urlencode({'ix': ix.interaction_id})}"


def _icon(icon: str) -> str:
    if icon.startswith("data:image/") or icon.startswith("https://"):
        return icon
    return ""


def shown(providers: list[Provider], ix: Interaction) -> list[Button]:
    return [Button(p.alias, p.label, _icon(p.icon), href(p, ix)) for p in providers]


def csp(buttons: list[Button], base: dict[str, str] | None = None) -> dict[str, str]:
    """The page's Content-Security-Policy (``base``'s, else the pages' default) with the
    icons' https origins allowed as images."""
    origins = sorted(
        {
            f"https://{urlsplit(b.icon).netloc}"
            for b in buttons
            if b.icon.startswith("https://") and urlsplit(b.icon).netloc
        }
    )
    if not origins:
        return {}
    # the pages' own sources (ASSETS, filled in by pages.page) end with img-src's: the icons'
    # origins follow them
    policy = (base or {}).get(_CSP) or (
        f"default-src 'none'; {ASSETS}; frame-ancestors 'none'; base-uri 'none'"
    )
    return {_CSP: policy.replace(ASSETS, f"{ASSETS} {' '.join(origins)}")}
