"""Fetching clients' JWK Sets from their ``jwks_uri`` (implements ``core.ports.JwksSource``).

Each set is cached for ``ttl`` seconds. A refresh forced by an unknown ``kid`` happens at most
once per ``min_refresh_interval`` per URI, so a client cannot make the server hammer a URL.
Requests go through the :class:`~authgate.outbound.client.OutboundClient` (public addresses
only unless allowed, no redirects, bounded time) and read at most ``max_bytes``; if a
refresh fails, the last good copy keeps serving (a flaky client host does not lock its own
client out for the cache period). Concurrent requests for one URI share one fetch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson

from authgate.errors import OutboundError
from authgate.outbound.client import OutboundClient, OutboundTooLarge

logger = logging.getLogger(__name__)


class HttpJwksSource:
    def __init__(
        self,
        client: OutboundClient,
        *,
        ttl: float = 300.0,
        min_refresh_interval: float = 30.0,
        max_bytes: int = 64 * 1024,
        max_entries: int = 10_000,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._cache: dict[str, tuple[float, Mapping[str, Any]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, uri: str, *, refresh: bool = False) -> Mapping[str, Any]:
        lock = self._locks.setdefault(uri, asyncio.Lock())
        async with lock:
            now = time.monotonic()
            cached = self._cache.get(uri)
            if cached is not None:
                age = now - cached[0]
                if age < (self.min_refresh_interval if refresh else self._ttl):
                    return cached[1]
            try:
                jwks = await self._fetch(uri)
            except OutboundError as exc:
                if cached is not None:
                    logger.warning("jwks_uri %s failed (%s); using the cached copy", uri, exc)
                    return cached[1]
                raise
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
            self._cache[uri] = (time.monotonic(), jwks)
            return jwks

    async def _fetch(self, uri: str) -> Mapping[str, Any]:
        try:
            response = await self._client.get(uri, max_bytes=self._max_bytes)
        except OutboundTooLarge:
            raise OutboundError("the JWK Set is too large") from None
        if response.status != 200:
            raise OutboundError(f"HTTP {response.status}")
        try:
            data = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            raise OutboundError("the response is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise OutboundError("the response is not a JWK Set")
        return data
