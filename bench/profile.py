"""Where a flow's server CPU goes: py-spy samples of authgate during a measured flow window.

py-spy (a sampling profiler that reads the interpreter's stacks from outside the process)
records the single-worker server (authgate-sqlite-w1: one process to sample) while the driver
runs the flow mode; each sample is put in the first category whose marker appears in its
stack, so the table adds up to 100% of the samples in which a server thread was running.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.driver import Window
from bench.measure import measure
from bench.targets import WORK, make_target

# (category, markers): the first category with a marker in the stack takes the sample.
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("RSA-2048 signature (id_token)", ("_RSAAlgModel.sign",)),
    ("SQLite writes (batches on the event loop: statements, commit)", ("SqliteDatabase._flush",)),
    ("SQLite fsync (sync thread)", ("authgate-sqlite-sync",)),
    ("SQLite checkpoints (checkpointer thread)", ("authgate-sqlite-checkpointer",)),
    ("SQLite reads", ("SqliteDatabase.fetch_one", "SqliteDatabase.fetch_all")),
    ("id_token claims and JSON (other than the signature)", ("sign_id_token", "orjson")),
    (
        "token endpoint: grant logic, PKCE, handles",
        ("core/tokens/endpoint.py", "core/tokens/grants/"),
    ),
    ("authorize endpoint: validation, session, consent, code", ("endpoints/authorize.py",)),
    ("token endpoint: form parsing, client auth, response", ("endpoints/token.py",)),
    ("Starlette routing and middleware", ("starlette/",)),
    ("uvicorn HTTP protocol (httptools)", ("uvicorn/protocols",)),
    ("event loop and other", ("",)),
]


def categorise(raw: str) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, n = line.rstrip().rpartition(" ")
        if not stack or not n.isdigit():
            continue
        samples = int(n)
        total += samples
        for name, markers in CATEGORIES:
            if any(marker in stack for marker in markers):
                counts[name] += samples
                break
    return counts, total


def top_functions(raw: str, limit: int = 15) -> list[tuple[str, int]]:
    leaves: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, n = line.rstrip().rpartition(" ")
        if stack and n.isdigit():
            leaves[re.sub(r":\d+\)", ")", stack.split(";")[-1])] += int(n)
    return leaves.most_common(limit)


async def profile(seconds: float, concurrency: int) -> dict[str, Any]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    target = make_target("authgate-sqlite-w1")
    await target.start()
    output = WORK / "profile.txt"
    procs: list[subprocess.Popen[bytes]] = []

    async def start_spy(_procs: object, _win: Window) -> None:
        args = [spy, "record", "--pid", str(target.pids()[0]), "--duration", str(int(seconds))]
        args += ["--rate", "200", "--format", "raw", "--threads", "--nonblocking"]
        procs.append(subprocess.Popen([*args, "--output", str(output)]))

    try:
        result = await measure(
            target, "flow", concurrency, warmup=2, window=seconds + 1, sampler=start_spy
        )
        await asyncio.to_thread(procs[0].wait)
    finally:
        target.stop()
    raw = output.read_text()
    counts, total = categorise(raw)
    cpu = result.cpu_ms_per_op or 0.0
    return {
        "result": result,
        "samples": total,
        "cpu_ms_per_flow": cpu,
        "categories": [
            {
                "category": name,
                "share": counts[name] / total,
                "ms_per_flow": cpu * counts[name] / total,
            }
            for name, _ in CATEGORIES
            if counts[name]
        ],
        "top_functions": [{"function": name, "share": n / total} for name, n in top_functions(raw)],
    }
