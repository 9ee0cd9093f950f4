"""The translation catalogs: every shipped language is complete (no untranslated or fuzzy
message), the compiled ``.mo`` files say exactly what the ``.po`` files say, and the
template is up to date with the messages in the code and templates."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from authgate.appconfig_pages import SHIPPED_LOCALES
from authgate.core.mfa.factors import LastFactorRequired
from authgate.core.passkeys.errors import DESCRIPTIONS
from authgate.core.selfservice import messages as selfservice_messages
from authgate.errors import FactorFailed, LoginFailed, UserCodeRejected
from authgate.runtime import STANDARD_SCOPES
from authgate.web import i18n
from authgate.web.user_messages import EXTRACTED

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [tag for tag in SHIPPED_LOCALES if tag != i18n.SOURCE_LOCALE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _texts(value: object) -> tuple[str, ...]:
    """A message's id or string as a tuple (plural messages have several)."""
    if isinstance(value, str):
        return (value,)
    assert isinstance(value, tuple | list)
    return tuple(str(v) for v in value)


def _po(tag: str) -> Path:
    return i18n.LOCALES / tag / "LC_MESSAGES" / "messages.po"


def _extracted_ids() -> set[str]:
    method_map = [
        ("src/authgate/web/**.py", "python"),
        ("src/authgate/web/templates/**.html", "jinja2"),
        ("src/authgate/web/templates/mail/**.txt", "jinja2"),
        ("src/authgate/web/static/**.js", "javascript"),
    ]
    jinja = {"extensions": "jinja2.ext.i18n"}
    options = {
        "src/authgate/web/templates/**.html": jinja,
        "src/authgate/web/templates/mail/**.txt": jinja,
    }
    ids = set()
    keywords = {**DEFAULT_KEYWORDS, "t": None}  # the playground scripts' t("...")
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map=options, keywords=keywords
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("tag", TRANSLATED)
def test_catalog_is_complete(tag: str) -> None:
    with _po(tag).open("rb") as fp:
        catalog = read_po(fp)
    messages = [m for m in catalog if m.id]
    assert messages
    untranslated = [m.id for m in messages if not all(_texts(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == [] and fuzzy == [] and not catalog.fuzzy
    for m in messages:
        ids = _texts(m.id)
        wanted = {p for i in ids for p in PLACEHOLDER.findall(i)}
        for text in _texts(m.string):
            assert set(PLACEHOLDER.findall(text)) <= wanted, m.id


@pytest.mark.parametrize("tag", TRANSLATED)
def test_compiled_catalog_matches_the_po_file(tag: str) -> None:
    with _po(tag).open("rb") as fp:
        catalog = read_po(fp)
    with (_po(tag).with_suffix(".mo")).open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    expected: dict[object, str] = {}
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, tuple | list):
            for index, text in enumerate(_texts(m.string)):
                expected[(m.id[0], index)] = text
        else:
            expected[m.id] = _texts(m.string)[0]
    actual = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    assert actual == expected, "run `make translations` after editing the .po file"


def test_catalogs_hold_every_message_of_the_code_and_templates() -> None:
    extracted = _extracted_ids()
    assert "Sign in" in extracted and "Invalid username or password." in extracted
    assert "Your email address was changed" in extracted  # mail templates too
    assert "Register another client" in extracted  # and the playground's scripts
    for tag in TRANSLATED:
        with _po(tag).open("rb") as fp:
            catalog = read_po(fp)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        missing = sorted(extracted - ids)
        assert missing == [], f"run `make messages`, translate, `make translations`: {missing}"


def test_the_core_messages_shown_on_pages_are_in_the_catalog() -> None:
    for message in (LoginFailed.MESSAGE, UserCodeRejected.MESSAGE):
        assert message in EXTRACTED
    for scope in STANDARD_SCOPES:
        assert scope.description in EXTRACTED
    german = i18n.translations("de")
    for message in EXTRACTED:
        assert german.gettext(message) != message


def test_device_messages_are_listed() -> None:
    source = (ROOT / "src/authgate/core/device/verification.py").read_text()
    raised = re.findall(r'DeviceCodeUnusable\("([^"]+)"\)', source)
    assert raised and set(raised) <= set(EXTRACTED)


def test_every_supported_locale_has_a_catalog() -> None:
    for tag in TRANSLATED:
        assert _po(tag).is_file() and _po(tag).with_suffix(".mo").is_file()
    assert i18n.translations("de").gettext("Sign in") == "Anmelden"


def test_self_service_messages_are_listed() -> None:
    texts = [v for k, v in vars(selfservice_messages).items() if k.isupper() and isinstance(v, str)]
    assert texts and set(texts) <= set(EXTRACTED)
    german = i18n.translations("de")
    for text in texts:
        translated = german.gettext(text)
        assert translated != text
        assert re.findall(r"\{\w+\}", translated) == re.findall(r"\{\w+\}", text)


def test_second_factor_and_passkey_messages_are_listed() -> None:
    listed = set(EXTRACTED)
    assert set(DESCRIPTIONS.values()) <= listed
    assert {FactorFailed.MESSAGE, LastFactorRequired.MESSAGE} <= listed
    german = i18n.translations("de")
    assert all(german.gettext(text) != text for text in DESCRIPTIONS.values())
