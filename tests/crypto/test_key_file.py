"""The sealing key's file (authgate.crypto.key_file): made once, complete, shared by everyone
who asks for it at the same time."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from authgate.crypto.key_file import KeyFileError, read_or_create
from authgate.runtime import sealing_key
from authgate.settings import Settings

ROUNDS = 40
CALLERS = 12


def test_the_first_use_makes_a_private_file_that_later_uses_read(tmp_path: Path) -> None:
    path = tmp_path / "data" / "sealing.key"
    first = read_or_create(path)
    assert len(first) >= 43  # 256 bits, base64url
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["sealing.key"]  # no temporary left


def test_callers_at_the_same_moment_all_get_the_one_key_that_is_stored(tmp_path: Path) -> None:
    """Each round, callers start together on a directory with no key yet: none of them may
    read a file that another is still writing (an empty key), nor keep a key of its own."""
    for round_ in range(ROUNDS):
        path = tmp_path / str(round_) / "sealing.key"
        barrier = threading.Barrier(CALLERS)
        seen: list[str] = []
        failures: list[BaseException] = []

        def call(
            path: Path = path,
            barrier: threading.Barrier = barrier,
            seen: list[str] = seen,
            failures: list[BaseException] = failures,
        ) -> None:
            barrier.wait()
            try:
                seen.append(read_or_create(path))
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=call) for _ in range(CALLERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert set(seen) == {path.read_text().strip()}, f"round {round_}"
        assert [p.name for p in path.parent.iterdir()] == ["sealing.key"]


def test_an_empty_file_is_an_error_not_an_empty_key(tmp_path: Path) -> None:
    path = tmp_path / "sealing.key"
    path.write_text("\n")
    with pytest.raises(KeyFileError, match="is empty"):
        read_or_create(path)


def test_the_server_keeps_its_key_next_to_the_sqlite_file(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/db/authgate.db")
    key = sealing_key(settings)()
    assert (tmp_path / "db" / "sealing.key").read_text() == key
    assert sealing_key(settings)() == key  # a second runtime (or worker) reads the same
    configured = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/other/authgate.db", sealing_key="k" * 43
    )
    assert sealing_key(configured)() == "k" * 43
    assert not (tmp_path / "other" / "sealing.key").exists()
