"""GET /health/live and GET /health/ready, on the main port and the management listener.

Live: the process answers HTTP (200, always). Ready: :class:`authgate.health.Readiness`
says so (200), or 503 with a JSON body naming what is not ready. docs/operations.md.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.health import Readiness, keyring_check
from authgate.runtime import Runtime
from authgate.storage.engine import Database
from authgate.web.responses import json_response

LIVE = "/health/live"
READY = "/health/ready"
PROBE_PATHS = frozenset({LIVE, READY})


async def live(request: Request) -> Response:
    return json_response({"status": "live"})


def runtime_readiness(runtime: Runtime, **options: Any) -> Readiness:
    """The readiness check of a server process over its runtime's database and key ring;
    ``options`` go to :class:`Readiness`."""
    db = runtime.db

    async def database() -> Database:
        return db

    return Readiness(database, keyring_check(runtime.keyring), **options)


def readiness(request: Request) -> Readiness:
    """The app's readiness check; the main app builds it from its runtime on first use."""
    state = request.app.state
    found: Readiness | None = getattr(state, "readiness", None)
    if found is None:
        found = state.readiness = runtime_readiness(state.runtime)
    return found


async def ready(request: Request) -> Response:
    report = await readiness(request).report()
    return json_response(report.body(), 200 if report.ready else 503)


def health_routes() -> list[Route]:
    return [Route(LIVE, live, methods=["GET"]), Route(READY, ready, methods=["GET"])]
