"""What observing a request costs: the same Starlette application called in-process through
ASGI, without and with :class:`authgate.web.observe.ObserveMiddleware` (request id, request
counter and latency histogram, optionally the access log), and what one storage batch's
observation costs.

    python -m bench.observe                    # one worker's view (prometheus-client in memory)
    python -m bench.observe --multiprocess     # a worker of --workers N (values in mmap files)
    python -m bench.observe --access-log       # with the access log on (written to /dev/null)

Each variant runs ``--requests`` requests per round; the best of ``--rounds`` rounds counts
(the machine is shared, the minimum is the least disturbed). docs/operations.md ("What it
costs") has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
Scope = dict[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[dict[str, Any]]], Any], Awaitable[None]]

SCOPE: Scope = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/jans-auth/restv1/token",
    "raw_path": b"/jans-auth/restv1/token",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1:8080"), (b"content-type", b"text/plain")],
    "client": ("127.0.0.1", 40000),
    "server": ("127.0.0.1", 8080),
}


def _apps(access_log: bool) -> tuple[Any, Any]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from authgate.web.observe import ObservedApp

    async def endpoint(request: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    routes = [Route("/jans-auth/restv1/token", endpoint, methods=["POST"])]
    return Starlette(routes=routes), ObservedApp(routes=routes, access_log=access_log)


async def _round(app: Any, requests: int) -> float:
    """Seconds for ``requests`` requests through ``app``."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(SCOPE), receive, send)
    return time.perf_counter() - started


async def _measure(requests: int, rounds: int, access_log: bool) -> dict[str, float]:
    plain, observed = _apps(access_log)
    await _round(plain, 500)  # warm both (route compilation, first children)
    await _round(observed, 500)
    best = {"plain": float("inf"), "observed": float("inf")}
    for _ in range(rounds):  # alternate, so that both see the same machine
        best["plain"] = min(best["plain"], await _round(plain, requests))
        best["observed"] = min(best["observed"], await _round(observed, requests))
    return {name: seconds / requests * 1e6 for name, seconds in best.items()}


def _batch_cost(batches: int) -> float:
    """Microseconds to observe one storage batch (size and commit time)."""
    from authgate import metrics

    started = time.perf_counter()
    for _ in range(batches):
        metrics.storage_batch("sqlite", 8, 0.0004)
    return (time.perf_counter() - started) / batches * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--multiprocess", action="store_true")
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv)
    directory = None
    previous = os.environ.get(MULTIPROC)
    if args.multiprocess:  # before prometheus-client is imported, as in a worker
        directory = tempfile.mkdtemp(prefix="authgate-bench-metrics-")
        os.environ[MULTIPROC] = directory
    try:
        if args.access_log:
            from authgate.logs import JsonFormatter, RequestIdFilter

            handler = logging.FileHandler(os.devnull)
            handler.setFormatter(JsonFormatter())
            handler.addFilter(RequestIdFilter())
            logging.getLogger().addHandler(handler)
            logging.getLogger().setLevel(logging.INFO)
        per_request = asyncio.run(_measure(args.requests, args.rounds, args.access_log))
        batch = _batch_cost(args.requests)
    finally:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
            if previous is None:
                os.environ.pop(MULTIPROC, None)
            else:
                os.environ[MULTIPROC] = previous
    mode = "multiprocess (mmap)" if args.multiprocess else "one process"
    added = per_request["observed"] - per_request["plain"]
    print(
        f"{mode}{', access log' if args.access_log else ''}: "
        f"{args.requests} requests x best of {args.rounds} rounds\n"
        f"  without observation {per_request['plain']:.2f} µs/request\n"
        f"  with observation    {per_request['observed']:.2f} µs/request\n"
        f"  added               {added:.2f} µs/request\n"
        f"  one storage batch   {batch:.2f} µs"
    )


if __name__ == "__main__":
    main()
