"""Instructions per flow, counted by callgrind: a cost that does not move with the machine's load.

Timed measurements on a shared two-core machine drift by more than a few percent from one
window to the next, so they cannot tell whether a layer costs 3% or 6%. Valgrind's callgrind
counts the instructions the server executes instead, which do not depend on how fast the
machine runs: one server's counts for the same code and requests differ by about a percent
(requests, batches and background work do not meet in the same order twice). Counting is slow
(the server runs about 40 times slower under it), so it runs with one worker, in-process, with
instrumentation off while it starts and the users log in; :func:`count_flows` turns it on for
a fixed number of flows only (``callgrind_control``), dumps the counts and turns it off again.
Every thread of the process is counted: the event loop, the sync thread and the checkpointer.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path

from bench.driver import Driver
from bench.targets import WORK, AuthgateTarget

#: callgrind with nothing counted until ``callgrind_control --instr=on``.
VALGRIND = ("valgrind", "--tool=callgrind", "--instr-atstart=no", "--dump-instr=no")


def callgrind_available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None


#: Under callgrind the server runs about 40 times slower, but its background work keeps
#: wall-clock time: every 0.2 s a rate-limit sync writes to the database, every 0.05 s a look
#: at the change log. Counted per flow, that work would weigh 40 times what it weighs at full
#: speed, so the counted servers run it 25 times less often (the settings' upper bounds
#: allow no more for the rate-limit sync); the SQLite checkpointer's 0.1 s is fixed.
SLOWED_INTERVALS = {
    "AUTHGATE_RATE_LIMIT_SYNC_INTERVAL": "5.0",
    "AUTHGATE_CHANGE_POLL_INTERVAL": "1.25",
    "AUTHGATE_CONFIG_POLL_INTERVAL": "50",
}


class CountedTarget(AuthgateTarget):
    """``authgate serve --workers 1`` (from ``source`` when given) under callgrind, with its
    background work slowed as the server is (:data:`SLOWED_INTERVALS`)."""

    def __init__(self, name: str, description: str, source: Path | None = None) -> None:
        super().__init__(name, description, workers=1)
        self.source = source
        self.out_dir = WORK / "callgrind" / name

    def _env(self) -> dict[str, str]:
        env = super()._env() | SLOWED_INTERVALS
        if self.source is not None:
            env["PYTHONPATH"] = str(self.source)
        return env

    def _spawn(self, args: list[str], env: dict[str, str], log_name: str) -> None:
        shutil.rmtree(self.out_dir, ignore_errors=True)
        self.out_dir.mkdir(parents=True)
        out = f"--callgrind-out-file={self.out_dir}/callgrind.%p"
        super()._spawn([*VALGRIND, out, *args], env, log_name)


def _control(pid: int, option: str) -> None:
    done = subprocess.run(
        ["callgrind_control", option, str(pid)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or "OK" not in done.stdout:
        raise RuntimeError(f"callgrind_control {option} {pid} failed: {done.stdout}{done.stderr}")


def dumped_instructions(path: Path) -> int:
    """The instruction count (``Ir``) a callgrind dump holds in its ``totals:`` line."""
    found = re.search(r"^totals:\s+(\d+)", path.read_text(), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"{path} holds no totals: line")
    return int(found.group(1))


#: OpenSSL's entry to an RSA private-key operation, which every id_token signature goes through.
SIGNATURE_FUNCTION = "EVP_PKEY_sign"


def signature_instructions(path: Path) -> int:
    """The instructions a callgrind dump counts inside :data:`SIGNATURE_FUNCTION`, calls
    included (``callgrind_annotate --inclusive=yes``); 0 if it was never called."""
    done = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(rf"^\s*([\d,]+) .*:{SIGNATURE_FUNCTION} \[", done.stdout, re.MULTILINE)
    return int(found.group(1).replace(",", "")) if found else 0


def _latest_dump(out_dir: Path, pid: int) -> Path:
    dumps = sorted(out_dir.glob(f"callgrind.{pid}.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    if not dumps:
        raise RuntimeError(f"callgrind wrote no dump for process {pid} in {out_dir}")
    return dumps[-1]


async def count_flows(
    target: CountedTarget, flows: int, concurrency: int, warmup_flows: int
) -> tuple[int, int]:
    """Instructions the started ``target`` executes for ``flows`` full flows (authorize with
    a session cookie, then the token request) made by ``concurrency`` logged-in users, after
    ``warmup_flows`` uncounted ones, in all and in the RSA signatures; a failed flow raises."""
    driver = Driver(target)
    users = [await driver.login(i) for i in range(concurrency)]

    async def run(count: int) -> None:
        shares = [count // concurrency + (i < count % concurrency) for i in range(concurrency)]
        await asyncio.gather(*(driver.flows(u, n) for u, n in zip(users, shares, strict=True)))

    pid = target.procs[0].pid
    try:
        await run(warmup_flows)
        await asyncio.to_thread(_control, pid, "--instr=on")
        await run(flows)
        await asyncio.to_thread(_control, pid, "--dump")
        await asyncio.to_thread(_control, pid, "--instr=off")
    finally:
        for user in users:
            await driver.close(user)
    dump = _latest_dump(target.out_dir, pid)
    return dumped_instructions(dump), signature_instructions(dump)
