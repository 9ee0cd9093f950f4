"""Pure rules of response types and modes (OIDC Core §3, Multiple Response Types §2-§5)."""

from __future__ import annotations

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import response_types as rt


def test_parse() -> None:
    assert rt.parse("id_token code") == frozenset({"code", "id_token"})


@pytest.mark.parametrize(
    "bad", [None, "", "code code", "code  token", "Code", "code device", " code"]
)
def test_parse_refuses_malformed(bad: str | None) -> None:
    assert rt.parse(bad) is None


def test_canonical_spelling() -> None:
    assert rt.canonical({"token", "id_token"}) == "id_token token"
    assert rt.canonical({"token", "id_token", "code"}) == "code id_token token"


def test_supported_compares_sets_and_follows_the_switches() -> None:
    config = AppConfiguration(responseTypesSupported=["token id_token", "code"])
    assert rt.supported(config) == ["code", "id_token token"]
    off = config.model_copy(update={"implicitFlowEnabled": False})
    assert rt.supported(off) == ["code"]
    query_only = config.model_copy(update={"responseModesSupported": ["query"]})
    assert rt.supported(query_only) == ["code"]


@pytest.mark.parametrize(
    ("params", "mode"),
    [
        ({"response_type": "code"}, "query"),
        ({"response_type": "id_token"}, "fragment"),
        ({"response_type": "id_token", "response_mode": "query"}, "fragment"),
        ({"response_type": "id_token", "response_mode": "form_post"}, "form_post"),
        ({"response_type": "code", "response_mode": "fragment"}, "fragment"),
        ({"response_type": "code", "response_mode": "web_message"}, "query"),
        ({"response_type": "code", "response_mode": "query.jwt"}, "query.jwt"),
        ({"response_type": "code", "response_mode": "jwt"}, "query.jwt"),
        ({"response_type": "code id_token", "response_mode": "jwt"}, "fragment.jwt"),
        ({"response_type": "id_token", "response_mode": "query.jwt"}, "fragment"),
        ({"response_type": "id_token", "response_mode": "form_post.jwt"}, "form_post.jwt"),
        ({"response_type": "nonsense"}, "query"),
        ({}, "query"),
    ],
)
def test_error_mode(params: dict[str, str], mode: str) -> None:
    assert rt.error_mode(params, AppConfiguration()) == mode


def test_grants_needed() -> None:
    assert rt.grants_needed(frozenset({"code"})) == {"authorization_code"}
    assert rt.grants_needed(frozenset({"id_token"})) == {"implicit"}
    assert rt.grants_needed(frozenset({"code", "token"})) == {"authorization_code", "implicit"}


def test_supported_answers_by_value_with_a_fresh_list() -> None:
    config = AppConfiguration(responseTypesSupported=["code", "id_token"])
    first = rt.supported(config)
    first.append("token")
    same_values = config.model_copy()
    assert same_values is not config
    assert rt.supported(same_values) == ["code", "id_token"]
    no_fragment = config.model_copy(
        update={"responseModesSupported": ["query"], "grantTypesSupported": ["implicit"]}
    )
    assert rt.supported(no_fragment) == []
