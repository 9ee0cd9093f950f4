"""Web origins (RFC 6454 §4, §6.2): of URIs, of Origin header values, of a client, and the
authorized_origins registration member."""

from __future__ import annotations

import pytest

from authgate.core.origins import (
    client_origins,
    origin_of,
    parse_origin,
    validate_authorized_origins,
)
from authgate.errors import InvalidClientMetadata


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://rp.example/cb?x=1#f", "https://rp.example"),
        ("HTTPS://RP.Example:443/cb", "https://rp.example"),
        ("http://rp.example:80/", "http://rp.example"),
        ("http://rp.example:443/", "http://rp.example:443"),
        ("https://rp.example:8443", "https://rp.example:8443"),
        ("http://127.0.0.1:8765/cb", "http://127.0.0.1:8765"),
        ("http://[::1]:8080/cb", "http://[::1]:8080"),
        ("https://[2001:DB8::1]/", "https://[2001:db8::1]"),
        # no web origin
        ("com.example.app:/callback", None),
        ("file:///etc/passwd", None),
        ("https:///path", None),
        ("https://user:pw@rp.example/", None),
        ("https://user@rp.example/", None),
        ("https://rp.example:99999/", None),
        ("https://rp.example:port/", None),
        ("https://[::1/", None),
        ("", None),
    ],
)
def test_origin_of(uri: str, origin: str | None) -> None:
    assert origin_of(uri) == origin


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://rp.example", "https://rp.example"),
        ("https://RP.example:443", "https://rp.example"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("null", None),
        ("", None),
        ("https://rp.example/", None),
        ("https://rp.example/path", None),
        ("https://rp.example?x", None),
        ("https://rp.example#x", None),
        ("https://rp.example ", None),
        (" https://rp.example", None),
        ("https://rp .example", None),
        ("rp.example", None),
        ("ftp://rp.example", None),
    ],
)
def test_parse_origin(value: str, origin: str | None) -> None:
    assert parse_origin(value) == origin


@pytest.mark.parametrize(
    ("redirect_uris", "authorized", "origins"),
    [
        ((), (), frozenset()),
        (
            ("https://rp.example/cb", "https://rp.example:443/other", "com.example.app:/cb"),
            (),
            {"https://rp.example"},
        ),
        (
            ("https://rp.example/cb",),
            ("https://spa.example", "null", "https://bad.example/path"),
            {"https://rp.example", "https://spa.example"},
        ),
    ],
)
def test_client_origins(
    redirect_uris: tuple[str, ...], authorized: tuple[str, ...], origins: frozenset[str]
) -> None:
    assert client_origins(redirect_uris, authorized) == origins


@pytest.mark.parametrize(
    ("values", "origins"),
    [
        ([], ()),
        (["https://spa.example"], ("https://spa.example",)),
        (
            ["https://spa.example", "HTTPS://SPA.EXAMPLE:443", "https://b.example:8443"],
            ("https://spa.example", "https://b.example:8443"),
        ),
        (
            ["http://localhost:3000", "http://127.0.0.1", "http://[::1]:8080"],
            ("http://localhost:3000", "http://127.0.0.1", "http://[::1]:8080"),
        ),
    ],
)
def test_authorized_origins_accepted(values: list[str], origins: tuple[str, ...]) -> None:
    assert validate_authorized_origins(values) == origins


NOT_AN_ORIGIN = "is not an origin (scheme://host[:port])"
HTTP_REMOTE = "must use https (http only on a loopback host)"


@pytest.mark.parametrize(
    ("values", "description"),
    [
        (["https://spa.example/"], f"'https://spa.example/' {NOT_AN_ORIGIN}"),
        (["null"], f"'null' {NOT_AN_ORIGIN}"),
        (["spa.example"], f"'spa.example' {NOT_AN_ORIGIN}"),
        (
            ["https://ok.example", "https://user@spa.example"],
            f"'https://user@spa.example' {NOT_AN_ORIGIN}",
        ),
        ([3], f"'3' {NOT_AN_ORIGIN}"),
        (["http://spa.example"], f"'http://spa.example' {HTTP_REMOTE}"),
        (["http://localhost.example"], f"'http://localhost.example' {HTTP_REMOTE}"),
    ],
)
def test_authorized_origins_refused(values: list[str], description: str) -> None:
    with pytest.raises(InvalidClientMetadata) as caught:
        validate_authorized_origins(values)
    assert caught.value.description == f"Parameter authorized_origins is not valid: {description}"
