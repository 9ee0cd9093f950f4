"""``--workers auto`` stays within a container's CPU limit: the cgroup files read as the kernel
writes them (cgroup v2 ``cpu.max``, cgroup v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from authgate import settings
from authgate.cpu_limit import cpu_limit


def cgroup(tmp_path: Path, *, v2: str | None = None, own: str = "0::/\n") -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    root.mkdir()
    if v2 is not None:
        (root / "cpu.max").write_text(v2)
    proc = tmp_path / "self-cgroup"
    proc.write_text(own)
    return root, proc


@pytest.mark.parametrize(
    ("line", "cores"),
    [("200000 100000\n", 2), ("150000 100000\n", 2), ("50000 100000\n", 1), ("max 100000\n", None)],
)
def test_cgroup_v2_limits_round_up_and_max_is_none(
    tmp_path: Path, line: str, cores: int | None
) -> None:
    root, own = cgroup(tmp_path, v2=line)
    assert cpu_limit(root, own) == cores


def test_cgroup_v2_reads_the_process_own_group_first(tmp_path: Path) -> None:
    root, own = cgroup(tmp_path, v2="max 100000\n", own="0::/kubepods/pod1/app\n")
    group = root / "kubepods" / "pod1" / "app"
    group.mkdir(parents=True)
    (group / "cpu.max").write_text("300000 100000\n")
    assert cpu_limit(root, own) == 3


@pytest.mark.parametrize(
    ("quota", "cores"), [("-1", None), ("100000", 1), ("250000", 3), ("0", None)]
)
def test_cgroup_v1_quota_and_period(tmp_path: Path, quota: str, cores: int | None) -> None:
    root, own = cgroup(tmp_path, own="4:cpu:/\n")
    (root / "cpu").mkdir()
    (root / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_limit(root, own) == cores


def test_no_cgroup_files_means_no_limit(tmp_path: Path) -> None:
    assert cpu_limit(tmp_path / "absent", tmp_path / "absent-too") is None
    assert cpu_limit(tmp_path / "absent", Path("/proc/self/cgroup")) is None


def test_auto_workers_stay_within_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    unlimited = settings.available_cores()
    monkeypatch.setattr(settings, "cpu_limit", lambda: 1)
    assert settings.available_cores() == 1
    assert settings.Settings(workers="auto").workers == 1
    monkeypatch.setattr(settings, "cpu_limit", lambda: 1000)
    assert settings.available_cores() == unlimited
