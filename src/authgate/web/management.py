"""The management listener's application: ``/metrics``, ``/health/live``, ``/health/ready``.

It runs beside the workers rather than in one of them (:mod:`authgate.management`: a thread
of the one server process, or a process of its own next to several workers), so it answers
for all of them. It opens a database connection of its own for
the readiness check and the signing keys' ages (both cached, see :mod:`authgate.health`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.crypto.keys import StoredKey
from authgate.health import CHECK_TIMEOUT, Readiness, StoredKeys
from authgate.metrics.exposition import Exposition, KeyAgeCollector
from authgate.settings import Settings
from authgate.storage.configuration import SqlKeyStore
from authgate.storage.connect import open_database
from authgate.storage.engine import Database
from authgate.web.health import health_routes

METRICS = "/metrics"


class ProbeDatabase:
    """A database connection opened on first use (the database may be down when the server
    starts) and kept."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._db: Database | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Database:
        if self._db is None:
            async with self._lock:
                if self._db is None:
                    self._db = await open_database(self._url, probe=True)
        return self._db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None


def create_management_app(settings: Settings, exposition: Exposition) -> Starlette:
    """The management application over ``settings.database``, showing ``exposition``."""
    database = ProbeDatabase(settings.database)

    async def stored_keys() -> list[StoredKey]:
        return await SqlKeyStore(await database.get()).all()

    keys = StoredKeys(stored_keys)
    exposition.register(KeyAgeCollector(keys.ages))

    async def metrics(request: Request) -> Response:
        with contextlib.suppress(Exception):  # the ages as last loaded; readiness says why
            await asyncio.wait_for(keys.ring(), CHECK_TIMEOUT)
        body, content_type = exposition.render(request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await database.close()

    app = Starlette(
        routes=[Route(METRICS, metrics, methods=["GET"]), *health_routes()], lifespan=lifespan
    )
    app.state.readiness = Readiness(database.get, keys.check)
    return app
