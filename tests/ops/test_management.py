"""The management application (metrics and probes for every worker) over its own database
connection, on SQLite and PostgreSQL, and the listener's life in ``authgate serve``."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from authgate.management import listen, management
from authgate.metrics.exposition import Exposition
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.web.management import create_management_app
from tests.support import ISSUER


@pytest.fixture
async def management_http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_management_app(runtime.settings, Exposition())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mgmt") as client:
            yield client


def families(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found.setdefault(s.name, []).append((s.labels, s.value))
    return found


async def test_probes_answer_on_the_management_app(management_http: httpx.AsyncClient) -> None:
    assert (await management_http.get("/health/live")).json() == {"status": "live"}
    ready = await management_http.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "schema": "ok", "signing_key": "ok"}


async def test_metrics_show_this_process_and_the_signing_keys_age(
    management_http: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    assert (await http.get("/.well-known/openid-configuration")).status_code == 200
    response = await management_http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = families(response.text)
    ages = {labels["alg"]: value for labels, value in found["authgate_signing_key_age_seconds"]}
    # the fixtures' keys were created at 1_700_000_000: years before the wall clock
    assert set(ages) == {"RS256", "ES256", "PS256"} and min(ages.values()) > 3e7
    assert any(
        labels["route"] == "/.well-known/openid-configuration" and value >= 1
        for labels, value in found["authgate_http_requests_total"]
    )
    assert "process_cpu_seconds_total" in found


async def test_openmetrics_when_asked(management_http: httpx.AsyncClient) -> None:
    response = await management_http.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


async def test_ready_is_503_while_the_management_database_is_unreachable() -> None:
    settings = Settings(issuer_url=ISSUER, database_url="postgresql://nobody@127.0.0.1:1/none")
    app = create_management_app(settings, Exposition())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mgmt") as client:
            ready = await client.get("/health/ready")
            metrics = await client.get("/metrics")
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["database", "schema", "signing_key"]
    assert metrics.status_code == 200  # the workers' metrics, whatever the database does


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_listener_serves_while_the_block_runs(database_url: str) -> None:
    port = _free_port()
    settings = Settings(
        issuer_url=ISSUER, database_url=database_url, management_address=f"127.0.0.1:{port}"
    )
    with management(settings) as server:
        assert server is not None and server.address == f"127.0.0.1:{port}"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(100):  # the thread's loop starts serving shortly
                try:
                    response = client.get("/health/live")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            assert response.status_code == 200
            assert client.get("/metrics").status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2)


def test_a_taken_address_is_logged_and_the_server_runs_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    taken = listen("127.0.0.1", 0)
    port = taken.getsockname()[1]
    try:
        settings = Settings(management_address=f"127.0.0.1:{port}")
        with management(settings) as server:
            assert server is None
    finally:
        taken.close()
    assert any(
        r.levelname == "ERROR" and "management listener not started" in r.getMessage()
        for r in caplog.records
    )


def test_off_means_no_listener() -> None:
    with management(Settings(management_address="off")) as server:
        assert server is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:9000", ("127.0.0.1", 9000)),
        ("192.0.2.10:9100", ("192.0.2.10", 9100)),
        ("[::1]:9000", ("::1", 9000)),
        ("OFF", None),
    ],
)
def test_management_addresses(value: str, expected: tuple[str, int] | None) -> None:
    assert Settings(management_address=value).management == expected


@pytest.mark.parametrize("value", ["9000", "localhost", ":9000", "host:0", "host:99999"])
def test_bad_management_addresses_name_the_setting(value: str) -> None:
    with pytest.raises(ValueError, match="AUTHGATE_MANAGEMENT_ADDRESS"):
        Settings(management_address=value)


def test_the_management_port_is_never_the_public_port() -> None:
    with pytest.raises(ValueError, match="a port of its own"):
        Settings(port=9000)
    assert Settings(port=9000, management_address="127.0.0.1:9001").port == 9000
