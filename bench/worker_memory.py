"""What an extra worker costs in memory: ``authgate serve`` on SQLite with one, two and
three workers, each after the same warm load (full flows at c=8 for the same time).

With several workers the serving process forks them once it has imported the application
(``authgate.startup.prefork``), so most of a worker's memory is shared with it. Two numbers
show what is not:

- each worker's USS (unique set size, psutil ``memory_full_info().uss``): the memory only
  that process holds, which is what stopping it would give back;
- the server's total PSS (proportional set size: every shared page divided among the
  processes sharing it) with one, two and three workers. From one to two it grows by the
  second worker and by the supervisor and the management listener's process that a
  multi-worker server runs (with one worker the listener is a thread); from two to three,
  by one worker alone.

    python -m bench.worker_memory [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from typing import Any

import psutil

from bench.measure import measure
from bench.targets import AuthgateTarget, free_port

MIB = 2**20
#: The servers measured, by worker count.
WORKERS = (1, 2, 3)


class _Server(AuthgateTarget):
    """An authgate target whose management listener is on a port of its own, so that the
    listener's process can be told from the workers."""

    def __init__(self, workers: int) -> None:
        super().__init__(
            f"authgate-memory-w{workers}", f"authgate, SQLite, {workers} workers", workers=workers
        )
        self.management_port = free_port()

    def _env(self) -> dict[str, str]:
        env = super()._env()
        env["AUTHGATE_MANAGEMENT_ADDRESS"] = f"127.0.0.1:{self.management_port}"
        return env


def _role(proc: psutil.Process, root: int, management_port: int) -> str:
    if proc.pid == root:
        return "server" if not proc.children() else "supervisor"
    for conn in proc.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == management_port:
            return "management"
    return "worker"


def processes(root: int, management_port: int) -> list[dict[str, Any]]:
    """The server's processes with their role and memory (MiB)."""
    top = psutil.Process(root)
    out = []
    for proc in [top, *top.children(recursive=True)]:
        info = proc.memory_full_info()
        out.append(
            {
                "pid": proc.pid,
                "role": _role(proc, root, management_port),
                "rss_mib": info.rss / MIB,
                "uss_mib": info.uss / MIB,
                "pss_mib": info.pss / MIB,
            }
        )
    return out


async def _one(workers: int, seconds: float) -> dict[str, Any]:
    server = _Server(workers)
    await server.start()
    try:
        result = await measure(server, "flow", 8, warmup=2.0, window=seconds)
        print(result.line(), file=sys.stderr, flush=True)
        procs = processes(server.procs[0].pid, server.management_port)
    finally:
        server.stop()
    return {
        "workers": workers,
        "flows": result.ops,
        "processes": procs,
        "pss_total_mib": sum(p["pss_mib"] for p in procs),
    }


async def measure_worker_memory(seconds: float = 10.0) -> dict[str, Any]:
    """One, two and three workers, each after the same load: the workers' USS and the
    total PSS of each server, in MiB."""
    servers = [await _one(workers, seconds) for workers in WORKERS]
    worker_uss = [
        p["uss_mib"] for server in servers[1:] for p in server["processes"] if p["role"] == "worker"
    ]
    pss = [server["pss_total_mib"] for server in servers]
    return {
        "seconds": seconds,
        "servers": servers,
        "worker_uss_mib": max(worker_uss),
        # 1 -> 2 adds a worker, the supervisor and the management process; 2 -> 3 a worker.
        "pss_added_mib": [later - earlier for earlier, later in itertools.pairwise(pss)],
    }


def markdown(data: dict[str, Any]) -> list[str]:
    """The "memory per extra worker" section of docs/benchmarks.md."""
    servers = data["servers"]
    out = [
        "## Memory per extra worker",
        "",
        "`authgate serve` on SQLite with one, two and three workers, each after full flows at"
        f" c=8 for {data['seconds']:.0f} s (`python -m bench.worker_memory`). Workers are forked"
        " from the started server and share its code and start-up memory; USS is the memory"
        " only that process holds, PSS counts each shared page in equal parts. A worker's"
        f" USS is at most **{data['worker_uss_mib']:.0f} MiB** (target: 60 MB).",
        "",
        "| workers | flows | processes: USS / PSS MiB | total PSS MiB | added PSS MiB |",
        "|--:|--:|:--|--:|--:|",
    ]
    added = [None, *data["pss_added_mib"]]
    for server, more in zip(servers, added, strict=True):
        cells = ", ".join(
            f"{p['role']} {p['uss_mib']:.0f} / {p['pss_mib']:.0f}" for p in server["processes"]
        )
        shown = "" if more is None else f"{more:.0f}"
        out.append(
            f"| {server['workers']} | {server['flows']} | {cells} |"
            f" {server['pss_total_mib']:.0f} | {shown} |"
        )
    out += [
        "",
        "From one worker to two the server also gains its supervisor and the management"
        " listener's process (with one worker the listener is a thread of the server); from"
        " two to three, one worker alone.",
        "",
    ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load window per server")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure_worker_memory(args.seconds)), indent=2))


if __name__ == "__main__":
    main()
