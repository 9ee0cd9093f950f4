"""Each request observed once: request id, metrics by route template, access log, error logs.
In-process, on both databases (the ``http``/``runtime`` fixtures)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from authgate import activity
from authgate.logs import RequestIdFilter
from authgate.runtime import Runtime
from authgate.web.app import create_app
from authgate.web.observe import ObserveMiddleware, login_outcome
from tests.lifecycle import TOKEN
from tests.support import ISSUER, Flow, token_form

DISCOVERY = "/.well-known/openid-configuration"
HEX_ID = re.compile(r"[0-9a-f]{32}")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests(route: str, method: str, status: str) -> float:
    return sample("authgate_http_requests_total", route=route, method=method, status=status)


@contextlib.contextmanager
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """The log records from INFO up made in the block, each with its request id (as the
    real handler gives them)."""
    caplog.set_level(logging.INFO)
    flt = RequestIdFilter()
    caplog.handler.addFilter(flt)
    try:
        yield caplog.records
    finally:
        caplog.handler.removeFilter(flt)


def _client(runtime: Runtime, **changes: object) -> httpx.AsyncClient:
    settings = runtime.settings.model_copy(update=changes)
    app = create_app(settings, runtime)

    async def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    app.add_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=ISSUER)


async def test_every_response_carries_a_fresh_request_id(http: httpx.AsyncClient) -> None:
    first, second = await http.get(DISCOVERY), await http.get("/nowhere")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(HEX_ID.fullmatch(i) for i in ids)
    assert ids[0] != ids[1]


async def test_a_request_id_is_taken_only_from_a_trusted_proxy(runtime: Runtime) -> None:
    # httpx's ASGI transport connects from 127.0.0.1
    async with _client(runtime, trusted_proxies="127.0.0.1") as trusted:
        taken = await trusted.get(DISCOVERY, headers={"X-Request-Id": "lb-7f3a.42"})
        refused = await trusted.get(DISCOVERY, headers={"X-Request-Id": "a b\r\nInjected: 1"})
        too_long = await trusted.get(DISCOVERY, headers={"X-Request-Id": "x" * 129})
    async with _client(runtime, trusted_proxies="10.0.0.0/8") as untrusted:
        ignored = await untrusted.get(DISCOVERY, headers={"X-Request-Id": "lb-7f3a.42"})
    assert taken.headers["x-request-id"] == "lb-7f3a.42"
    for response in (refused, too_long, ignored):
        assert HEX_ID.fullmatch(response.headers["x-request-id"]), response.headers


async def test_requests_are_counted_by_route_template_method_and_status(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    path = f"/jans-auth/restv1/register/{client['client_id']}"  # hypothetical raw path
    before = {
        "discovery": requests(DISCOVERY, "GET", "200"),
        "unmatched": requests("unmatched", "GET", "404"),
        "odd": requests("unmatched", "other", "404"),
        "duration": sample(
            "authgate_http_request_duration_seconds_count", route=DISCOVERY, method="GET"
        ),
    }
    for _ in range(3):
        assert (await http.get(DISCOVERY)).status_code == 200
    assert (await http.get(path)).status_code in (401, 404)
    assert (await http.request("BREW", "/coffee")).status_code == 404
    assert requests(DISCOVERY, "GET", "200") - before["discovery"] == 3
    assert requests("unmatched", "other", "404") - before["odd"] == 1
    count = sample("authgate_http_request_duration_seconds_count", route=DISCOVERY, method="GET")
    assert count - before["duration"] == 3
    # no raw path (with its client id) ever becomes a label
    exposition = "\n".join(f"{s.name}{s.labels}" for m in REGISTRY.collect() for s in m.samples)
    assert client["client_id"] not in exposition


async def test_metrics_are_not_on_the_public_port(http: httpx.AsyncClient) -> None:
    assert (await http.get("/metrics")).status_code == 404


async def test_grants_logins_and_oauth_errors_are_counted(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    def counts() -> tuple[float, ...]:
        return (
            sample("authgate_grants_total", grant_type="authorization_code", outcome="issued"),
            sample(
                "authgate_grants_total", grant_type="authorization_code", outcome="invalid_grant"
            ),
            sample("authgate_grants_total", grant_type="other", outcome="unsupported_grant_type"),
            sample("authgate_oauth_errors_total", error="invalid_grant"),
            sample("authgate_logins_total", outcome="succeeded"),
        )

    before = counts()
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    form = token_form(client["client_id"], issued.code, issued.verifier)
    assert (await flow.token(form)).status_code == 200
    assert (await flow.token(form)).status_code == 400  # the code again: a replay
    odd = {"grant_type": "urn:example:made-up", "client_id": client["client_id"]}
    assert (await http.post(TOKEN, data=odd)).status_code == 400
    after = counts()
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1, 1]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (303, "succeeded"),
        (302, "succeeded"),
        (401, "failed"),
        (429, "failed"),
        (400, "rejected"),
        (403, "rejected"),
    ],
)
def test_login_outcomes(status: int, outcome: str) -> None:
    assert login_outcome(status) == outcome


async def test_the_access_log_has_one_line_per_request_and_no_query_string(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with captured(caplog) as records:
        async with _client(runtime, access_log=True) as http:
            response = await http.get(
                "/jans-auth/restv1/authorize?code=SECRET-CODE&state=s&client_id=x"
            )
            await http.get("/health/live")  # probes are left out
    lines = [r for r in records if r.name == "authgate.access"]
    assert len(lines) == 1
    line = lines[0]
    text = line.getMessage() + repr(line.__dict__)
    assert "SECRET-CODE" not in text and "?" not in line.getMessage()
    assert line.__dict__["request_id"] == response.headers["x-request-id"]
    assert line.__dict__["route"] == "/jans-auth/restv1/authorize"
    assert line.__dict__["method"] == "GET"
    assert line.__dict__["status"] == response.status_code
    assert line.__dict__["source"] == "127.0.0.1"
    assert line.__dict__["duration_ms"] >= 0


async def test_no_access_log_by_default(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with captured(caplog) as records:
        await http.get(DISCOVERY)
    assert not [r for r in records if r.name == "authgate.access"]


async def test_user_errors_log_at_info_and_failures_at_error_with_the_request_id(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with captured(caplog) as records:
        async with _client(runtime) as http:
            bad = await http.post(TOKEN, data={"grant_type": "authorization_code"})
            failed = await http.get("/boom")
    assert bad.status_code == 401 and failed.status_code == 500  # invalid_client
    bad_id, failed_id = bad.headers["x-request-id"], failed.headers["x-request-id"]
    by_id = {r.__dict__["request_id"]: r for r in records if r.name == "authgate.web"}
    assert by_id[bad_id].levelno == logging.INFO
    assert by_id[failed_id].levelno == logging.ERROR
    assert by_id[failed_id].exc_info is not None
    assert requests("/boom", "GET", "500") >= 1


async def test_answers_from_middlewares_before_routing_get_the_route_template(
    http: httpx.AsyncClient,
) -> None:
    before = requests(TOKEN, "OPTIONS", "204")
    preflight = await http.options(
        TOKEN,
        headers={"Origin": "https://rp.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204  # answered by the CORS middleware, not a route
    assert requests(TOKEN, "OPTIONS", "204") == before + 1


async def test_a_refusal_before_routing_is_labelled_with_the_template_it_would_have_hit() -> None:
    async def endpoint(request: Request) -> Response:
        return Response()

    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/really/missing":
            await Response(status_code=404)(scope, receive, send)
        else:  # e.g. a rate limit: 429 before the router
            await Response(status_code=429)(scope, receive, send)

    routes = [Route("/things/{thing_id}", endpoint), Route("/static", endpoint)]
    app = ObserveMiddleware(refuse, access_log=False, trusted_proxies=(), routes=routes)
    transport = httpx.ASGITransport(app=app)
    before = [
        requests("/things/{thing_id}", "GET", "429"),
        requests("/static", "GET", "429"),
        requests("unmatched", "GET", "404"),
    ]
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        await client.get("/things/client-42")
        await client.get("/static")
        await client.get("/really/missing")
    after = [
        requests("/things/{thing_id}", "GET", "429"),
        requests("/static", "GET", "429"),
        requests("unmatched", "GET", "404"),
    ]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_requests_in_progress_are_counted_for_the_sqlite_flush(runtime: Runtime) -> None:
    """The count :func:`authgate.activity.alone` reads (the SQLite adapter flushes a lone
    commit on the event loop's thread only while no other request is in progress)."""
    app = create_app(runtime.settings, runtime)
    inside, release = asyncio.Event(), asyncio.Event()
    seen: list[tuple[int, bool]] = []

    async def held(request: Request) -> Response:
        seen.append((activity.requests_in_progress(), activity.alone()))
        inside.set()
        await release.wait()
        return Response("held")

    async def quick(request: Request) -> Response:
        seen.append((activity.requests_in_progress(), activity.alone()))
        return Response("quick")

    async def failing(request: Request) -> Response:
        raise RuntimeError("boom")

    app.add_route("/held", held)
    app.add_route("/quick", quick)
    app.add_route("/failing", failing)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    before = activity.requests_in_progress()
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        first = asyncio.ensure_future(client.get("/held"))
        await asyncio.wait_for(inside.wait(), 10)
        assert (await client.get("/quick")).status_code == 200
        release.set()
        assert (await first).status_code == 200
        assert (await client.get("/failing")).status_code == 500
        assert (await client.get("/quick")).status_code == 200
    assert seen == [(before + 1, True), (before + 2, False), (before + 1, True)]
    assert activity.requests_in_progress() == before
