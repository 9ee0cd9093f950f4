"""The sector identifier fetcher's own limits (timeouts, addresses), without the server."""

from __future__ import annotations

import pytest

from authgate.errors import InvalidClientMetadata
from authgate.outbound import HttpSectorIdentifierFetcher
from tests.sector_site import Answer, SectorSite


async def test_slow_document_times_out() -> None:
    fetcher = HttpSectorIdentifierFetcher(allow_http_loopback=True, timeout=0.3)
    with SectorSite() as site:
        site.answers["/slow.json"] = Answer(b"[]", delay=1.0)
        with pytest.raises(InvalidClientMetadata, match="timed out"):
            await fetcher.fetch(site.url("/slow.json"))


async def test_fetches_a_list() -> None:
    fetcher = HttpSectorIdentifierFetcher(allow_http_loopback=True)
    with SectorSite() as site:
        uri = site.publish("/s.json", ["https://a.example/cb"])
        assert await fetcher.fetch(uri) == ["https://a.example/cb"]


@pytest.mark.parametrize(
    "uri",
    ["http://127.0.0.1:9/s.json", "https://127.0.0.1:9/s.json", "https://192.168.1.1/s.json"],
)
async def test_default_fetcher_refuses_before_connecting(uri: str) -> None:
    with pytest.raises(InvalidClientMetadata):
        await HttpSectorIdentifierFetcher().fetch(uri)


async def test_loopback_setting_does_not_open_private_networks() -> None:
    fetcher = HttpSectorIdentifierFetcher(allow_http_loopback=True)
    for uri in ("http://10.0.0.1/s.json", "https://10.0.0.1/s.json"):
        with pytest.raises(InvalidClientMetadata):
            await fetcher.fetch(uri)
