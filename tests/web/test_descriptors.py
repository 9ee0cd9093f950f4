"""The file-descriptor budget of ``authgate serve``: the soft file limit raised to the hard
one, and the connection cap kept under it."""

from __future__ import annotations

import logging
import resource
from collections.abc import Iterator

import pytest

from authgate.web.descriptors import (
    MIN_CONNECTIONS,
    RESERVED_DESCRIPTORS,
    connection_cap,
    raise_file_limit,
)


@pytest.fixture
def lowered_soft_limit() -> Iterator[tuple[int, int]]:
    """The soft limit lowered to 512 for the test, then restored."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 512:
        pytest.skip(f"needs a finite hard file limit above 512 (it is {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
    try:
        yield 512, hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_soft_limit_is_raised_to_the_hard_limit(lowered_soft_limit: tuple[int, int]) -> None:
    _, hard = lowered_soft_limit
    assert raise_file_limit() == hard
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)


def test_a_soft_limit_at_the_hard_limit_is_left_alone() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        pytest.skip("the soft limit is below the hard limit here")
    assert raise_file_limit() == soft
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (soft, hard)


def test_connection_cap_stays_under_the_file_limit(caplog: pytest.LogCaptureFixture) -> None:
    assert connection_cap(4096, 1_048_576) == 4096
    assert connection_cap(4096, 4096 + RESERVED_DESCRIPTORS) == 4096
    assert caplog.records == []
    with caplog.at_level(logging.WARNING, logger="authgate.web.descriptors"):
        assert connection_cap(4096, 1024) == 1024 - RESERVED_DESCRIPTORS
    assert "max_connections lowered from 4096 to 768" in caplog.text
    assert connection_cap(4096, 100) == MIN_CONNECTIONS
