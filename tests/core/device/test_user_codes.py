"""User codes (RFC 8628 §6.1): the alphabet, the shown form, and what typing is accepted."""

from __future__ import annotations

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.device import user_codes
from authgate.core.device.user_codes import ALPHABET, display, new_user_code, normalise


def test_the_alphabet_has_no_vowels_and_no_letter_taken_for_a_digit() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 20
    assert not set(ALPHABET) & set("AEIOUY01")
    assert not set(ALPHABET) & set("0123456789")


def test_new_codes_are_eight_letters_of_the_alphabet_and_vary() -> None:
    codes = {new_user_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(ALPHABET)


def test_codes_are_shown_in_two_groups_of_four() -> None:
    assert display("BCDFGHJK") == "BCDF-GHJK"


@pytest.mark.parametrize(
    "typed",
    ["BCDF-GHJK", "bcdf-ghjk", "BCDFGHJK", "bcdfghjk", " bcdf ghjk ", "Bc-Df-Gh-Jk", "bcdf\tghjk"],
)
def test_typing_ignores_case_dashes_and_spaces(typed: str) -> None:
    assert normalise(typed) == "BCDFGHJK"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "BCDF-GHJ",  # too short
        "BCDF-GHJKL",  # too long
        "BCDF-GHJA",  # a vowel
        "BCDF-GHJ1",  # a digit
        "BCDF_GHJK",  # another separator
        "ＢCDF-GHJK",  # a full-width letter
        "B" * 100,
    ],
)
def test_anything_else_is_not_a_code(typed: str) -> None:
    assert normalise(typed) is None


def test_the_stored_key_is_keyed_by_the_server_secret() -> None:
    one = AppConfiguration(pairwiseCalculationKey="a" * 32)
    other = AppConfiguration(pairwiseCalculationKey="b" * 32)
    key = user_codes.user_code_hash("BCDFGHJK", one)
    assert key == user_codes.user_code_hash("BCDFGHJK", one)
    assert key != user_codes.user_code_hash("BCDFGHJK", other)
    assert key != user_codes.user_code_hash("BCDFGHJL", one)
    assert len(key) == 64 and "BCDFGHJK" not in key
