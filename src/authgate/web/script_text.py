"""The messages authgate's page scripts show, in the page's language.

A script (``web/static/*.js``) writes each message as ``t("English text", {name: value})``;
its page hands it the translations as JSON in a ``data-text`` attribute (no inline script:
the pages' CSP forbids it). The messages are read from the scripts themselves with Babel's
JavaScript extractor, the same way ``make messages`` finds them (keyword ``t``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from babel.messages.extract import extract

from authgate.web.i18n import gettext

STATIC = Path(__file__).parent / "static"


@functools.cache
def messages(name: str) -> tuple[str, ...]:
    """The messages of the script ``name``, as its ``t("...")`` calls write them (English)."""
    with (STATIC / name).open("rb") as fp:
        found = extract("javascript", fp, keywords={"t": None})
        return tuple(dict.fromkeys(str(message) for _line, message, _comments, _context in found))


def script_text(name: str) -> str:
    """The translations of ``name``'s messages in the current page's language, as JSON."""
    translated = {m: gettext(m) for m in messages(name)}
    return json.dumps({m: t for m, t in translated.items() if t != m}, ensure_ascii=False)
