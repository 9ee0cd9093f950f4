"""The address a request is counted under: the peer, or what a trusted proxy reports."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from authgate.settings import Settings
from authgate.web.source import client_address


def _request(peer: str, *headers: tuple[str, str]) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": (peer, 40000),
    }
    return Request(scope)


PROXIES = Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8").trusted_proxy_networks


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("198.51.100.7", (), "198.51.100.7"),
        # an untrusted peer cannot choose its address
        ("198.51.100.7", (("X-Forwarded-For", "203.0.113.1"),), "198.51.100.7"),
        ("198.51.100.7", (("Forwarded", "for=203.0.113.1"),), "198.51.100.7"),
        # a trusted proxy's report is taken, from the right, skipping other trusted proxies
        ("127.0.0.1", (("X-Forwarded-For", "203.0.113.1"),), "203.0.113.1"),
        ("127.0.0.1", (("X-Forwarded-For", "6.6.6.6, 203.0.113.1, 10.1.2.3"),), "203.0.113.1"),
        ("10.0.0.5", (("Forwarded", 'for="[2001:db8::1]:4711";proto=https'),), "2001:db8::1"),
        ("10.0.0.5", (("Forwarded", "for=192.0.2.60:8080, for=10.0.0.9"),), "192.0.2.60"),
        # Forwarded wins over X-Forwarded-For; garbage stops the walk at the peer
        (
            "127.0.0.1",
            (("Forwarded", "for=192.0.2.1"), ("X-Forwarded-For", "203.0.113.1")),
            "192.0.2.1",
        ),
        ("127.0.0.1", (("X-Forwarded-For", "not-an-ip"),), "127.0.0.1"),
        ("127.0.0.1", (), "127.0.0.1"),
    ],
)
def test_client_address(peer: str, headers: tuple[tuple[str, str], ...], expected: str) -> None:
    assert client_address(_request(peer, *headers), PROXIES) == expected


def test_no_trusted_proxies_means_headers_are_ignored() -> None:
    request = _request("127.0.0.1", ("X-Forwarded-For", "203.0.113.1"))
    assert client_address(request, ()) == "127.0.0.1"


def test_a_bad_proxy_setting_names_the_variable() -> None:
    with pytest.raises(ValueError, match="AUTHGATE_TRUSTED_PROXIES: 'nope'"):
        Settings(trusted_proxies="nope")
