"""``authgate serve`` with its default ``--workers auto``: one worker per core this process
may run on, forked from the serving process (they run the same command line, not a spawned
interpreter), each with its own request id prefix, a killed worker replaced, SIGHUP replacing
every worker while requests keep being answered, and SIGTERM ending the whole server with
status 0. Plus how ``auto`` and bad values are read."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from click.testing import CliRunner

from authgate.cli import main
from authgate.settings import AUTO_WORKERS_CAP, Settings, available_cores
from tests.e2e.harness import free_port

LOOPBACK = "127.0.0.1"
DISCOVERY = "/.well-known/openid-configuration"
EXPECTED = min(len(os.sched_getaffinity(0)), AUTO_WORKERS_CAP)


def test_auto_is_one_worker_per_available_core() -> None:
    assert available_cores() == len(os.sched_getaffinity(0))
    assert Settings(workers="auto").workers == EXPECTED
    assert Settings(workers=" AUTO ").workers == EXPECTED
    assert Settings(workers="3").workers == 3
    assert Settings().workers == EXPECTED  # the default


@pytest.mark.parametrize("value", ["0", "65", "many", ""])
def test_bad_worker_counts_are_refused_before_starting(value: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--workers", value, "--data-dir", str(tmp_path)], env={}
    )
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output
    assert not any(tmp_path.iterdir())  # nothing created


def _workers(server: psutil.Process, management_port: int) -> list[psutil.Process]:
    """The server's children that serve requests (not the management listener's)."""
    out = []
    for child in server.children():
        try:
            if child.status() == psutil.STATUS_ZOMBIE:  # ended, not yet reaped
                continue
            listens = {
                c.laddr.port
                for c in child.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr
            }
        except psutil.NoSuchProcess:
            continue
        if management_port not in listens:
            out.append(child)
    return out


def _until(what: str, check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, int, Path]]:
    yield from _serve(tmp_path)


def _serve(
    tmp_path: Path, *more: str, **variables: str
) -> Generator[tuple[subprocess.Popen[bytes], str, int, Path], None, None]:
    port, management_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env |= {"AUTHGATE_ADMIN_PASSWORD": "workers-test-password", "AUTHGATE_LOG_LEVEL": "info"}
    env |= variables
    command = [sys.executable, "-m", "authgate", "serve", "--host", LOOPBACK, *more]
    command += ["--port", str(port), "--data-dir", str(tmp_path / "data")]
    command += ["--management-address", f"{LOOPBACK}:{management_port}"]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    url = f"http://{LOOPBACK}:{port}"

    def ready() -> bool:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            return httpx.get(url + DISCOVERY, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _until("discovery answers", ready, timeout=60)
        yield process, url, management_port, log
    finally:
        if process.poll() is None:
            # the workers too: killed alone, the supervisor would leave them serving
            with contextlib.suppress(psutil.NoSuchProcess):
                for child in psutil.Process(process.pid).children(recursive=True):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        child.kill()
            process.kill()
            process.wait(10)


def _prefixes(url: str) -> set[str]:
    """The request id prefixes (one per process) of 32 concurrent new connections."""

    def one(_: int) -> str:
        with httpx.Client(timeout=10) as http:
            return http.get(url + DISCOVERY).headers["x-request-id"][:16]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        return set(pool.map(one, range(32)))


def test_auto_forks_one_worker_per_core_and_keeps_them(
    served: tuple[subprocess.Popen[bytes], str, int, Path],
) -> None:
    process, url, management_port, log = served
    server = psutil.Process(process.pid)
    if EXPECTED == 1:  # one core: the server serves in its own process
        assert _workers(server, management_port) == []
        return
    _until(f"{EXPECTED} workers", lambda: len(_workers(server, management_port)) == EXPECTED)
    workers = _workers(server, management_port)
    for worker in workers:  # forked: the same command line, not multiprocessing's spawn
        assert worker.cmdline() == server.cmdline()
    assert len(server.children()) == EXPECTED + 1  # and the management listener's process
    seen: set[str] = set()
    _until("every worker answering", lambda: len(seen.__ior__(_prefixes(url))) == EXPECTED)

    os.kill(workers[0].pid, signal.SIGKILL)

    def replaced() -> bool:
        now = _workers(server, management_port)
        return len(now) == EXPECTED and workers[0].pid not in {w.pid for w in now}

    _until("a replacement worker", replaced)
    assert httpx.get(url + DISCOVERY, timeout=5).status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert f"supervisor [{process.pid}] started {EXPECTED} workers" in text
    assert "Traceback" not in text


def test_sighup_replaces_every_worker_while_requests_keep_being_answered(
    tmp_path: Path,
) -> None:
    serving = _serve(tmp_path, "--workers", "2")
    process, url, management_port, log = next(serving)
    try:
        server = psutil.Process(process.pid)
        _until("2 workers", lambda: len(_workers(server, management_port)) == 2)
        old = {w.pid for w in _workers(server, management_port)}
        management = {c.pid for c in server.children()} - old
        answers: list[int | str] = []
        stop = False

        def ask() -> None:  # a new connection each time: whichever worker accepts answers
            while not stop:
                try:
                    answers.append(httpx.get(url + DISCOVERY, timeout=10).status_code)
                except httpx.HTTPError as exc:
                    answers.append(repr(exc))

        def replaced() -> bool:
            now = {w.pid for w in _workers(server, management_port)}
            return len(now) == 2 and not now & old

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            asking = [pool.submit(ask) for _ in range(2)]
            try:
                _until("requests answered before the signal", lambda: len(answers) >= 10)
                before = len(answers)
                process.send_signal(signal.SIGHUP)
                _until("both workers replaced", replaced)
                _until("requests answered by the new workers", lambda: len(answers) >= before + 20)
            finally:
                stop = True  # the askers end even when a wait above failed
            for future in asking:
                future.result()
        assert answers and all(answer == 200 for answer in answers), set(map(str, answers))
        # the retired workers drained and ended; no worker was started again in their place
        _until("the old workers gone", lambda: not old & {c.pid for c in server.children()})
        now = {w.pid for w in _workers(server, management_port)}
        assert len(now) == 2 and not now & old
        assert {c.pid for c in server.children()} - now == management  # left alone
        # the new workers serve: each answers with its own request id prefix
        seen: set[str] = set()
        _until("both new workers answering", lambda: len(seen.__ior__(_prefixes(url))) == 2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()[-3000:]
        text = log.read_text()
        assert "received SIGHUP, replacing the workers" in text
        for pid in now:
            assert f"started worker process [{pid}]" in text
        assert "ended (status" not in text  # a retired worker's end is not a crash
        assert "Traceback" not in text
    finally:
        serving.close()


def _held_per_worker(workers: list[psutil.Process], port: int) -> list[int]:
    """How many established connections to ``port`` each worker holds."""
    return sorted(
        sum(
            1
            for c in worker.net_connections(kind="tcp")
            if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
        )
        for worker in workers
    )


def test_a_burst_of_keep_alive_connections_is_shared_out_evenly(tmp_path: Path) -> None:
    """16 connections opened at once, each kept alive after a request: 8 per worker, give or
    take one (left to the kernel and the event loop, the first worker awake takes most of
    them). A worker leaves a connection to one holding fewer for 1 ms only, so on a machine
    busy with other work (the rest of the suite) the other worker may miss one. A worker
    publishes the connections it lost at its next tick: the readiness probe's must be gone."""
    serving = _serve(tmp_path, "--workers", "2")
    process, url, management_port, log = next(serving)
    clients: list[socket.socket] = []
    try:
        server = psutil.Process(process.pid)
        _until("2 workers", lambda: len(_workers(server, management_port)) == 2)
        port = int(url.rsplit(":", 1)[1])
        time.sleep(0.3)
        for _ in range(16):
            clients.append(socket.create_connection((LOOPBACK, port), timeout=10))
        request = f"GET {DISCOVERY} HTTP/1.1\r\nHost: {LOOPBACK}\r\n\r\n".encode()
        for client in clients:  # answered, so accepted and held (HTTP/1.1 keeps it alive)
            client.sendall(request)
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        workers = _workers(server, management_port)
        fewer, more = _held_per_worker(workers, port)
        assert fewer + more == 16 and more - fewer <= 2, (fewer, more)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()[-3000:]
        assert "Traceback" not in log.read_text()
    finally:
        for client in clients:
            client.close()
        serving.close()


def test_a_worker_whose_event_loop_stops_is_killed_and_replaced(tmp_path: Path) -> None:
    serving = _serve(tmp_path, "--workers", "2", AUTHGATE_WORKER_TIMEOUT="2")
    process, url, management_port, log = next(serving)
    try:
        server = psutil.Process(process.pid)
        _until("2 workers", lambda: len(_workers(server, management_port)) == 2)
        workers = _workers(server, management_port)
        time.sleep(3)  # longer than the timeout: beating workers are left alone
        assert {w.pid for w in _workers(server, management_port)} == {w.pid for w in workers}
        assert "has not turned its event loop" not in log.read_text()
        os.kill(workers[0].pid, signal.SIGSTOP)  # its event loop no longer turns

        def replaced() -> bool:
            now = {w.pid for w in _workers(server, management_port)}
            return len(now) == 2 and workers[0].pid not in now

        _until("the silent worker replaced", replaced, timeout=20)
        assert workers[1].pid in {w.pid for w in _workers(server, management_port)}
        assert httpx.get(url + DISCOVERY, timeout=5).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, log.read_text()[-3000:]
        text = log.read_text()
        assert f"worker [{workers[0].pid}] has not turned its event loop for" in text
        assert f"worker [{workers[1].pid}] has not turned" not in text
    finally:
        serving.close()
