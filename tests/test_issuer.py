"""The issuer's shape (authgate.issuer), as Settings checks it at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from authgate.issuer import check_issuer, is_loopback, is_unspecified
from authgate.settings import Settings


@pytest.mark.parametrize(
    ("value", "issuer"),
    [
        ("https://login.example.com", "https://login.example.com"),
        ("https://login.example.com/", "https://login.example.com"),
        ("https://login.example.com:8443", "https://login.example.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://app.localhost", "http://app.localhost"),
    ],
)
def test_accepted_issuers(value: str, issuer: str) -> None:
    assert check_issuer(value) == issuer
    assert Settings(issuer_url=value).issuer == issuer


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("login.example.com", "is not an absolute URL: write it with its scheme, e.g. https://login.example.com"),
        ("https://", "is not an absolute URL"),
        ("ftp://login.example.com", "must start with https://"),
        ("http://login.example.com", "uses plain http on a host that is not loopback"),
        ("http://0.0.0.0:8080", "uses plain http on a host that is not loopback"),
        ("https://login.example.com/auth",
         "has a path (/auth): authgate serves its endpoints at scheme://host[:port] only, "
         "so use https://login.example.com"),
        ("https://login.example.com?x=1", "must not have a query or fragment"),
        ("https://login.example.com#top", "must not have a query or fragment"),
        ("https://login example.com", "contains whitespace"),
        ("https://login.example.com ", "contains whitespace"),
        ("https://user@login.example.com", "must not contain user information"),
        ("https://login.example.com:99999", "has an invalid port"),
    ],
)  # fmt: skip
def test_refused_issuers(value: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        check_issuer(value)
    assert message in str(refused.value)
    with pytest.raises(ValidationError):
        Settings(issuer_url=value)


def test_loopback_and_every_interface() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "10.0.0.1", "example.com", "localhost.evil"]))  # noqa: S104
    assert is_unspecified("0.0.0.0") and is_unspecified("::")  # noqa: S104
    assert not is_unspecified("127.0.0.1")


def test_the_default_issuer_brackets_an_ipv6_host() -> None:
    assert Settings(host="::1", port=9001).issuer == "http://[::1]:9001"
