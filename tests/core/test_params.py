"""Raw request parameters to a single-valued mapping (RFC 6749 §3.1, §3.2)."""

from __future__ import annotations

import pytest

from authgate.core.params import MAX_PARAMETERS, single_valued
from authgate.errors import InvalidRequest


@pytest.mark.parametrize(
    ("pairs", "params"),
    [
        ([], {}),
        (
            [("response_type", "code"), ("scope", "openid")],
            {"response_type": "code", "scope": "openid"},
        ),
        # a parameter without a value is treated as omitted
        ([("state", ""), ("scope", "openid")], {"scope": "openid"}),
        ([("a", " ")], {"a": " "}),
        # names are case-sensitive: these are two parameters
        ([("scope", "a"), ("Scope", "b")], {"scope": "a", "Scope": "b"}),
    ],
)
def test_single_valued(pairs: list[tuple[str, str]], params: dict[str, str]) -> None:
    assert single_valued(pairs) == params


@pytest.mark.parametrize(
    ("pairs", "name"),
    [
        ([("scope", "openid"), ("scope", "profile")], "scope"),
        ([("scope", "openid"), ("scope", "openid")], "scope"),
        # even when one of them is empty, and so would be omitted alone
        ([("state", ""), ("state", "xyz")], "state"),
        ([("state", "xyz"), ("state", "")], "state"),
        ([("a", "1"), ("b", "2"), ("b", "3"), ("a", "4")], "b"),
    ],
)
def test_repeated_parameter_refused(pairs: list[tuple[str, str]], name: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        single_valued(pairs)
    assert caught.value.description == f"The parameter {name} is included more than once"


def test_at_most_max_parameters() -> None:
    pairs = [(f"p{i}", "v") for i in range(MAX_PARAMETERS)]
    assert len(single_valued(pairs)) == MAX_PARAMETERS
    with pytest.raises(InvalidRequest) as caught:
        single_valued([*pairs, ("one_more", "v")])
    assert caught.value.description == f"The request has more than {MAX_PARAMETERS} parameters"
