"""Every word a template shows goes through the catalog: outside ``{{ _(...) }}`` and
``{% trans %}`` blocks, no template has text a person reads, in its content or in the
attributes screen readers and browsers show (``aria-label``, ``title``, ``alt``,
``placeholder``). A new page written in English only fails here, not in a German browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from authgate.web.pages import TEMPLATES

PAGES = sorted(p for p in TEMPLATES.rglob("*.html"))
#: Text that is the same in every language: code, placeholders of a code's shape, symbols.
NEUTRAL = re.compile(r"^(XXXX-XXXX|[\W\d_]*)$")
TRANS = re.compile(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", re.S)
SHOWN_ATTRIBUTES = re.compile(r'\b(aria-label|title|alt|placeholder)="([^"]*)"')


def _visible_text(source: str) -> str:
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{%-?\s*macro\b.*?endmacro\s*-?%\}", " ", text, flags=re.S)  # attributes
    text = TRANS.sub(" ", text)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<code\b[^>]*>.*?</code>", " ", text, flags=re.S)  # protocol names
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return re.sub(r"&\w+;", " ", text)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_untranslated_text(path: Path) -> None:
    source = path.read_text()
    words = [w for w in _visible_text(source).split() if not NEUTRAL.match(w)]
    assert words == [], f"text outside _() or trans in {path.name}: {' '.join(words)[:200]}"
    for name, value in SHOWN_ATTRIBUTES.findall(source):
        shown = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", TRANS.sub("", value))
        assert NEUTRAL.match(shown.strip()), f'{path.name}: {name}="{value}" is not translated'


def test_the_check_sees_untranslated_text() -> None:
    sample = (
        '<p title="Hi">Hello {{ _("there") }} <code>client_id</code> {% trans %}x{% endtrans %}</p>'
    )
    assert _visible_text(sample).split() == ["Hello"]
    assert SHOWN_ATTRIBUTES.findall(sample) == [("title", "Hi")]
