"""The configuration document's members for the server's own pages: languages and branding.

Declared apart from :mod:`authgate.appconfig` only to keep each module small; see
docs/theming.md. The theme *directory* (template and static-file overrides) is a process
setting, ``AUTHGATE_THEME_DIR``, not a member here: it names a path on the server's own disk,
which an administrator of the Config API must not be able to point elsewhere.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The languages authgate ships complete catalogs for (``web/locales/<tag>``); English is the
#: language of the templates themselves.
SHIPPED_LOCALES = ("en", "de")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
#: WCAG 2.2 SC 1.4.3: normal text needs at least 4.5:1 against its background.
MIN_TEXT_CONTRAST = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG 2.2, "relative luminance")."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def page_url(value: str) -> str:
    """An https URL, or a path on this server (``/...``, not ``//host``); empty for none."""
    if value == "":
        return value
    if any(ch.isspace() or ord(ch) < 32 for ch in value) or '"' in value or "\\" in value:
        raise ValueError("must not contain spaces, quotes, backslashes or control characters")
    if value.startswith("https://") and len(value) > len("https://"):
        return value
    if value.startswith("/") and not value.startswith("//"):
        return value
    raise ValueError("must be an https:// URL or a path on this server starting with /")


PageUrl = Annotated[str, Field(max_length=2048)]


class PageProperties(BaseModel):
    """Languages and branding of the login, consent, error, account and device pages."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    uiLocalesSupported: list[str] = Field(
        default_factory=lambda: list(SHIPPED_LOCALES),
        min_length=1,
        description="Languages of the pages, as BCP 47 tags; each must be one authgate ships "
        f"a catalog for ({', '.join(SHIPPED_LOCALES)}). Advertised as `ui_locales_supported` "
        "in discovery. A page's language is the first supported one of the request's "
        "`ui_locales` (OIDC Core §3.1.2.1), then of `Accept-Language`, then `uiLocaleDefault`.",
    )
    uiLocaleDefault: str = Field(
        "en",
        description="Language of the pages when neither `ui_locales` nor `Accept-Language` "
        "names a supported one; must be in `uiLocalesSupported`. authgate extension.",
    )
    brandName: str = Field(
        "authgate",
        min_length=1,
        max_length=80,
        description="Name shown in the pages' header, footer and titles. authgate extension.",
    )
    brandLogoUri: PageUrl = Field(
        "",
        description="Logo shown above each page's card: an https URL (its origin is added to "
        "the pages' `img-src`) or a path on this server such as a theme file under "
        "`/jans-auth/theme/`. Empty: no logo. authgate extension.",
    )
    brandPrimaryColor: str = Field(
        "#1f4fc4",
        description="Colour of primary buttons and links, `#rrggbb`; white text on it must "
        f"reach {MIN_TEXT_CONTRAST}:1 (WCAG 2.2 SC 1.4.3), so very light colours are refused. "
        "authgate extension.",
    )
    brandSupportUri: PageUrl = Field(
        "",
        description='A "Get help" link in every page\'s footer: an https URL or a path on '
        "this server. Empty: no link. authgate extension.",
    )

    @field_validator("uiLocalesSupported")
    @classmethod
    def _shipped(cls, value: list[str]) -> list[str]:
        unknown = [tag for tag in value if tag not in SHIPPED_LOCALES]
        if unknown:
            raise ValueError(f"no catalog for {unknown}; shipped: {list(SHIPPED_LOCALES)}")
        if len(set(value)) != len(value):
            raise ValueError("each language may appear once")
        return value

    @field_validator("brandLogoUri", "brandSupportUri")
    @classmethod
    def _page_url(cls, value: str) -> str:
        return page_url(value)

    @field_validator("brandPrimaryColor")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not _HEX_COLOUR.fullmatch(value):
            raise ValueError("must be a hex colour #rrggbb")
        ratio = contrast(value, "#ffffff")
        if ratio < MIN_TEXT_CONTRAST:
            raise ValueError(
                f"white text on {value} has a contrast of {ratio:.2f}:1; at least "
                f"{MIN_TEXT_CONTRAST}:1 is needed (WCAG 2.2 SC 1.4.3): choose a darker colour"
            )
        return value.lower()

    @model_validator(mode="after")
    def _default_supported(self) -> PageProperties:
        if self.uiLocaleDefault not in self.uiLocalesSupported:
            raise ValueError("uiLocaleDefault must be one of uiLocalesSupported")
        return self
