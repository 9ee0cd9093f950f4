"""Redirect URI registration rules and exact matching (RFC 9700 §4.1.3, RFC 8252 §7.3)."""

from __future__ import annotations

import pytest

from authgate.core.authorize.redirect_uris import matches, validate_registered
from authgate.errors import InvalidRedirectUri


def test_exact_match_only_for_web() -> None:
    registered = ("https://app.example/cb",)
    assert matches("https://app.example/cb", registered, "web")
    for variant in (
        "https://app.example/cb/",
        "https://APP.example/cb",
        "https://app.example/cb?x",
        "https://app.example/c",
    ):
        assert not matches(variant, registered, "web")


def test_native_loopback_port_may_vary() -> None:
    registered = ("http://127.0.0.1/callback", "http://[::1]/cb")
    assert matches("http://127.0.0.1:51234/callback", registered, "native")
    assert matches("http://[::1]:4000/cb", registered, "native")
    assert not matches("http://127.0.0.1:51234/other", registered, "native")
    assert not matches("http://localhost:51234/callback", registered, "native")
    assert not matches("http://127.0.0.1:51234/callback", registered, "web")
    assert not matches("http://u@127.0.0.1:51234/callback", registered, "native")


@pytest.mark.parametrize(
    "uri",
    [
        "https://a.example/cb",
        "http://localhost:3000/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8/cb",
    ],
)
def test_web_accepts(uri: str) -> None:
    validate_registered(uri, "web")


@pytest.mark.parametrize(
    "uri",
    [
        "http://a.example/cb",
        "https://a.example/cb#x",
        "com.example.app:/cb",
        "https:///cb",
        "https://a.example:99999/",
    ],
)
def test_web_refuses(uri: str) -> None:
    with pytest.raises(InvalidRedirectUri):
        validate_registered(uri, "web")


def test_native_private_schemes_must_be_reverse_domain() -> None:
    validate_registered("com.example.app:/oauth", "native")
    with pytest.raises(InvalidRedirectUri, match="reverse domain"):
        validate_registered("myapp://cb", "native")
    with pytest.raises(InvalidRedirectUri):
        validate_registered("http://a.example/cb", "native")
