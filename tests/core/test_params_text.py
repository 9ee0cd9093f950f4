"""authgate.core.params: the control-character check on text from the outside."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.core.params import (
    check_json,
    check_text,
    control_member,
    has_control,
    printable,
    single_valued,
)
from authgate.errors import InvalidClientMetadata, InvalidRequest

CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f"]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_c0_control_and_del_is_a_control(char: str) -> None:
    assert has_control(f"a{char}b")
    assert has_control(char)


@pytest.mark.parametrize(
    "text", ["", "plain", "a b", "~!@#$%^&*()_+{}|:<>?", "é ☃ Ω", "\x80\x9f\xa0", "\u2028"]
)
def test_printable_text_and_other_unicode_are_not(text: str) -> None:
    assert not has_control(text)


def test_printable_escapes_and_shortens() -> None:
    assert printable("cli\x00ent\n") == "cli\\x00ent\\x0a"
    long = printable("x" * 500)
    assert len(long) < 80 and long.endswith("...")


def test_check_text_names_the_parameter_never_the_value() -> None:
    check_text("state", "fine value")
    with pytest.raises(InvalidRequest) as raised:
        check_text("state", "secret\x00value")
    assert raised.value.description == "The parameter state contains a control character"
    with pytest.raises(InvalidRequest) as raised:
        check_text("bad\x01name", "v", what="header")
    assert raised.value.description == "The header bad\\x01name contains a control character"


def test_single_valued_refuses_controls_in_names_and_values() -> None:
    assert single_valued([("a", "1"), ("b", "")]) == {"a": "1"}
    with pytest.raises(InvalidRequest, match="client_id contains a control character"):
        single_valued([("client_id", "x\x00")])
    with pytest.raises(InvalidRequest, match="control character"):
        single_valued([("x\x7f", "1")])
    with pytest.raises(InvalidRequest, match="more than once"):
        single_valued([("a", "1"), ("a", "2")])


@pytest.mark.parametrize(
    ("document", "where"),
    [
        (
            {"client_name": "ok", "redirect_uris": ["https://a", "https://b\x00"]},
            "redirect_uris[1]",
        ),
        ({"jwks": {"keys": [{"kid": "1"}, {"kid": "\x1f"}]}}, "jwks.keys[1].kid"),
        ({"na\x00me": 1}, "na\x00me"),
        ([{"op": "replace", "value": "\x7f"}], "[0].value"),
        ("\n", "(document)"),
    ],
)
def test_control_member_finds_the_first_offending_member(document: Any, where: str) -> None:
    assert control_member(document) == where


def test_control_member_accepts_clean_documents() -> None:
    document = {"a": [1, 2.5, True, None, {"b": "é\u2028"}], "c": {}}
    assert control_member(document) is None
    check_json(document)


def test_check_json_raises_the_callers_error_with_an_escaped_path() -> None:
    with pytest.raises(InvalidClientMetadata) as raised:
        check_json({"x\x00": "y"}, error=InvalidClientMetadata)
    assert raised.value.description == "The member x\\x00 contains a control character"
    with pytest.raises(InvalidRequest):
        check_json(["\t"])
