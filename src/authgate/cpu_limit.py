"""The CPU limit of this process's control group: how many cores a container may use.

``--workers auto`` starts one worker per core the process may run on. A container limited to
two CPUs on a 16-core machine still sees 16 cores in its CPU affinity; the limit lives in the
cgroup's bandwidth quota instead (``docker run --cpus``, a Kubernetes CPU limit). cgroup v2
states it in ``cpu.max`` (``"200000 100000"``: 200 ms of CPU per 100 ms period, two cores;
``"max 100000"``: no limit), cgroup v1 in ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us``
(a quota of ``-1``: no limit). A fractional limit is rounded up: 1.5 CPUs keep two workers
busy part of the time rather than one all of it.
"""

from __future__ import annotations

import math
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
SELF = Path("/proc/self/cgroup")


def cgroup_v2_files(root: Path = ROOT, own: Path = SELF) -> list[Path]:
    """Where cgroup v2 may keep this process's ``cpu.max``: its own group's directory (the
    ``0::/path`` line of /proc/self/cgroup), then the mount's root (a container with its own
    cgroup namespace sees its group there)."""
    files = []
    try:
        for line in own.read_text().splitlines():
            if line.startswith("0::"):
                relative = line[3:].strip().lstrip("/")
                if relative:
                    files.append(root / relative / "cpu.max")
    except OSError:
        pass
    files.append(root / "cpu.max")
    return files


def _cores(quota: str, period: str) -> int | None:
    if quota in ("max", "-1"):
        return None
    try:
        allowed, length = int(quota), int(period)
    except ValueError:
        return None
    if allowed <= 0 or length <= 0:
        return None
    return max(1, math.ceil(allowed / length))


def cpu_limit(root: Path = ROOT, own: Path = SELF) -> int | None:
    """Whole cores the control group may use (rounded up), or None when it has no limit or
    the system keeps none (no cgroups, another operating system)."""
    for path in cgroup_v2_files(root, own):
        try:
            fields = path.read_text().split()
        except OSError:
            continue
        if len(fields) >= 2:
            return _cores(fields[0], fields[1])
    try:
        quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
        period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
    except OSError:
        return None
    return _cores(quota, period)
