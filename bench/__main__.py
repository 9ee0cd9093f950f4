"""``python -m bench``: run the benchmark and (optionally) write docs/benchmarks.md.

python -m bench all --write-docs docs/benchmarks.md   # the documented run (about 35 min)
python -m bench all --quick                           # a smoke run (a few minutes)
python -m bench run authgate-sqlite flow -c 32        # one measurement
python -m bench run node-oidc-provider flow --driver aiohttp   # with the second driver
python -m bench report results.json docs/benchmarks.md
python -m bench storage                               # the SQLite write path alone
python -m bench startup                               # how long authgate serve takes to start
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.targets import TARGETS, WORK


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    one = sub.add_parser("run", help="one target, one mode, some concurrency levels")
    one.add_argument("target", choices=sorted(TARGETS))
    one.add_argument("mode", choices=["flow", "token", "refresh"])
    one.add_argument("-c", "--concurrency", default="1,8,32")
    one.add_argument("--warmup", type=float, default=3.0)
    one.add_argument("--window", type=float, default=10.0)
    one.add_argument(
        "--driver",
        choices=["lean", "aiohttp"],
        default="lean",
        help="lean: bench/driver.py (make bench's); aiohttp: ordinary aiohttp sessions",
    )

    every = sub.add_parser("all", help="the whole benchmark")
    every.add_argument("--quick", action="store_true", help="short windows, for a smoke run")
    every.add_argument("--write-docs", type=Path, default=None)
    every.add_argument("--json", type=Path, default=WORK / "results.json")
    every.add_argument("--memory-seconds", type=float, default=None)
    every.add_argument("--skip", default="", help="comma-separated parts to leave out")
    every.add_argument(
        "--only", default="", help="comma-separated targets and parts to run (nothing else)"
    )
    every.add_argument(
        "--merge",
        type=Path,
        default=None,
        help="with --only: replace those measurements in this earlier results file",
    )

    report = sub.add_parser("report", help="write the markdown page from a results file")
    report.add_argument("json", type=Path)
    report.add_argument("output", type=Path)

    prof = sub.add_parser("profile", help="sample the authgate hot path with py-spy")
    prof.add_argument("--seconds", type=float, default=15.0)
    prof.add_argument("-c", "--concurrency", type=int, default=32)

    guard = sub.add_parser("protection", help="the edge protection's cost: with and without it")
    guard.add_argument("--rounds", type=int, default=8, help="even: each server first as often")
    guard.add_argument("-c", "--concurrency", type=int, default=32)
    guard.add_argument("--warmup", type=float, default=3.0)
    guard.add_argument("--window", type=float, default=15.0)
    guard.add_argument(
        "--count", type=int, default=200, help="flows counted under callgrind (0: none)"
    )

    storage = sub.add_parser("storage", help="the SQLite write path of a flow, without HTTP")
    storage.add_argument("-c", "--concurrency", default="8,32")
    storage.add_argument("--flows", type=int, default=20_000)
    storage.add_argument("--repeat", type=int, default=1)
    storage.add_argument(
        "--together",
        action="store_true",
        help="each flow as one unit: the code's row with its tokens",
    )

    startup = sub.add_parser("startup", help="how long authgate serve takes to start")
    startup.add_argument("--repeat", type=int, default=5)
    startup.add_argument("--workers", default="1", help="as authgate serve --workers takes it")
    return parser.parse_args()


async def _run_one(args: argparse.Namespace) -> None:
    from bench.measure import measure
    from bench.targets import make_target

    target = make_target(args.target)
    await target.start(code_ttl=600 if args.mode == "token" else None)
    try:
        for c in (int(x) for x in args.concurrency.split(",")):
            result = await measure(
                target,
                args.mode,
                c,
                warmup=args.warmup,
                window=args.window,
                driver_name=args.driver,
            )
            print(result.line(), flush=True)
    finally:
        target.stop()


def run(coroutine: Any) -> Any:
    """Run on uvloop: the driver shares the machine with the server, so it must be lean."""
    import uvloop

    return uvloop.run(coroutine)


def main() -> int:
    args = _parse()
    if args.command == "run":
        run(_run_one(args))
    elif args.command == "all":
        from bench.suite import run_all

        results = run(
            run_all(
                quick=args.quick,
                memory_seconds=args.memory_seconds,
                skip=args.skip,
                only=args.only,
            )
        )
        if args.merge:
            from bench.report import merge

            earlier = json.loads(args.merge.read_text())
            results = merge(
                earlier, json.loads(json.dumps(results, default=asdict)), args.only.split(",")
            )
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=asdict))
        print(f"results in {args.json}", file=sys.stderr)
        if args.write_docs:
            from bench.report import write_markdown

            write_markdown(json.loads(args.json.read_text()), args.write_docs)
            print(f"wrote {args.write_docs}", file=sys.stderr)
    elif args.command == "report":
        from bench.report import write_markdown

        write_markdown(json.loads(args.json.read_text()), args.output)
    elif args.command == "profile":
        from bench.profile import profile

        print(json.dumps(run(profile(args.seconds, args.concurrency)), indent=1, default=asdict))
    elif args.command == "protection":
        from bench.instructions import callgrind_available
        from bench.protection import (
            count_protection,
            counted_markdown,
            markdown,
            measure_protection,
        )

        if args.count and not callgrind_available():
            missing = "valgrind is not installed (apt-get install valgrind), so nothing can"
            print(f"{missing} be counted; --count 0 runs only the timed rounds", file=sys.stderr)
            return 1
        if args.rounds:
            timed = measure_protection(
                args.rounds, args.concurrency, warmup=args.warmup, window=args.window
            )
            print("\n".join(markdown(run(timed) | {"instructions": None})))
        if args.count:
            counted = run(count_protection(args.count))
            print("\n".join(counted_markdown(counted)))
    elif args.command == "storage":
        from bench.storage import measure_storage

        for _ in range(args.repeat):
            for c in (int(x) for x in args.concurrency.split(",")):
                result = run(measure_storage(c, args.flows, together=args.together))
                print(result.line(), flush=True)
    elif args.command == "startup":
        from bench.startup import measure_startup

        for measured in measure_startup(args.repeat, args.workers):
            print(measured.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
