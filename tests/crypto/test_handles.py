"""Handles, their storage keys and grant ids (authgate.crypto.handles)."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable

import pytest

from authgate.crypto import handles
from authgate.crypto.handles import handle_hash, hash_matches, new_grant_id, new_handle


@pytest.fixture
def tick(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Replaces the module's millisecond clock: ``tick(ms)`` sets the time handles carry."""
    now = [0]
    monkeypatch.setattr(handles, "_clock", lambda: now[0])

    def set_time(ms: int) -> None:
        now[0] = ms

    return set_time


def test_a_handle_is_the_clock_then_256_random_bits() -> None:
    before = time.time_ns() // 1_000_000
    handle = new_handle()
    after = time.time_ns() // 1_000_000
    assert re.fullmatch(r"[0-9a-f]{12}[A-Za-z0-9_-]{43}", handle)
    assert before <= int(handle[:12], 16) <= after
    assert len({new_handle()[12:] for _ in range(1000)}) == 1000


def test_the_key_keeps_the_clock_and_52_digits_of_the_sha256() -> None:
    handle = new_handle()
    key = handle_hash(handle)
    digest = hashlib.sha256(handle.encode()).hexdigest()
    assert len(key) == 64
    assert key == handle[:12] + digest[:52]
    assert handle[12:] not in key  # the random part is never stored


def test_keys_issued_later_sort_later(tick: Callable[[int], None]) -> None:
    keys = []
    # across a change in the number of significant hex digits, one millisecond apart, and
    # the last millisecond the 12 digits hold
    for ms in (0xFFFFFFFFFF, 0x10000000000, 1_700_000_000_000, 1_700_000_000_001, 2**48 - 1):
        tick(ms)
        handle = new_handle()
        assert int(handle[:12], 16) == ms
        keys.append(handle_hash(handle))
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    "value",
    [
        "x" * 43,  # a handle from before the clock
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",  # a JWT access token
        "0123456789aB" + "x" * 43,  # clock-length but not hex: a secret chosen by hand
        "0123456789ab" + "x" * 42,  # one character short
    ],
)
def test_anything_else_is_keyed_by_its_full_sha256(value: str) -> None:
    assert handle_hash(value) == hashlib.sha256(value.encode()).hexdigest()


def test_hash_matches_the_handle_and_nothing_else() -> None:
    handle = new_handle()
    key = handle_hash(handle)
    assert hash_matches(handle, key)
    assert not hash_matches(new_handle(), key)
    assert not hash_matches(handle[:-1] + ("A" if handle[-1] != "A" else "B"), key)
    assert not hash_matches(handle, None)
    # a different handle issued in the same millisecond shares the clock digits only
    twin = handle[:12] + new_handle()[12:]
    assert not hash_matches(twin, key)


def test_a_hand_chosen_secret_stored_under_its_full_sha256_still_matches() -> None:
    secret = "00000000000a" + "s" * 43  # shaped like a handle, stored before the clock
    legacy = hashlib.sha256(secret.encode()).hexdigest()
    assert hash_matches(secret, legacy)
    assert not hash_matches(secret[:-1] + "t", legacy)


def test_grant_ids_are_time_ordered_version_7_uuids(tick: Callable[[int], None]) -> None:
    ids = []
    for ms in (1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002, 1_800_000_000_000):
        tick(ms)
        ids.append(new_grant_id())
        parsed = uuid.UUID(ids[-1])
        assert parsed.int >> 80 == ms  # the 48-bit millisecond clock leads (RFC 9562 §5.7)
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
    assert ids == sorted(ids)
    assert len({new_grant_id() for _ in range(1000)}) == 1000  # same millisecond, all distinct


def test_grant_ids_carry_the_wall_clock() -> None:
    before = time.time_ns() // 1_000_000
    grant_id = uuid.UUID(new_grant_id())
    after = time.time_ns() // 1_000_000
    assert before <= grant_id.int >> 80 <= after
