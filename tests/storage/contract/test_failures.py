"""FailureStore (brute-force protection's counters): counting, windows, clearing, sharing."""

from __future__ import annotations

import asyncio

from authgate.core.types import FailureCount, FailureKey
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW

WINDOW = 3600.0
PAIR = FailureKey("login", "subject-1", "203.0.113.7")
SOURCE = FailureKey("login", "", "203.0.113.7")
SUBJECT = FailureKey("login", "subject-1", "")
KEYS = (PAIR, SOURCE, SUBJECT)


def by_key(counts: list[FailureCount]) -> dict[FailureKey, FailureCount]:
    return {c.key: c for c in counts}


async def fail(
    ports: Ports, at: float, keys: tuple[FailureKey, ...] = KEYS, **kw: str | None
) -> dict[FailureKey, FailureCount]:
    counts = await ports.failures.add(
        keys, at, at - WINDOW, keep_until=at + WINDOW, user_id=kw.get("user_id")
    )
    return by_key(counts)


async def test_each_failure_counts_on_every_key(ports: Ports) -> None:
    first = await fail(ports, NOW)
    assert {k: c.failures for k, c in first.items()} == dict.fromkeys(KEYS, 1)
    second = await fail(ports, NOW + 10)
    assert {k: c.failures for k, c in second.items()} == dict.fromkeys(KEYS, 2)
    assert second[PAIR].first_at == NOW
    assert second[PAIR].last_at == NOW + 10
    read = by_key(await ports.failures.read(KEYS, NOW + 10 - WINDOW, fresh=True))
    assert read == second


async def test_unknown_keys_read_as_nothing(ports: Ports) -> None:
    await fail(ports, NOW)
    other = FailureKey("client", "subject-1", "203.0.113.7")
    assert await ports.failures.read([other], NOW - WINDOW, fresh=True) == []
    assert await ports.failures.read([], NOW - WINDOW, fresh=True) == []


async def test_a_subject_counter_restarts_after_a_quiet_window(ports: Ports) -> None:
    """Counters of one subject forget failures once the *last* one is older than the window."""
    await fail(ports, NOW)
    await fail(ports, NOW + WINDOW - 1)
    kept = await fail(ports, NOW + 2 * WINDOW - 2)  # each within a window of the previous
    assert kept[PAIR].failures == 3
    assert kept[SUBJECT].failures == 3
    later = NOW + 3 * WINDOW
    assert await ports.failures.read([PAIR, SUBJECT], later - WINDOW, fresh=True) == []
    restarted = await fail(ports, later)
    assert restarted[PAIR].failures == 1
    assert restarted[PAIR].first_at == later


async def test_a_whole_source_counter_is_a_fixed_window(ports: Ports) -> None:
    """The counter of every subject from a source restarts once its *first* failure is old,
    even if failures kept coming."""
    await fail(ports, NOW)
    await fail(ports, NOW + WINDOW - 1)
    at = NOW + WINDOW + 1
    live = by_key(await ports.failures.read(KEYS, at - WINDOW, fresh=True))
    assert SOURCE not in live
    assert live[PAIR].failures == 2
    counted = await fail(ports, at)
    assert counted[SOURCE].failures == 1
    assert counted[SOURCE].first_at == at
    assert counted[PAIR].failures == 3


async def test_clear_forgets_only_the_keys_given(ports: Ports) -> None:
    await fail(ports, NOW)
    await ports.failures.clear([PAIR])
    left = by_key(await ports.failures.read(KEYS, NOW - WINDOW, fresh=True))
    assert set(left) == {SOURCE, SUBJECT}
    assert (await fail(ports, NOW + 1))[PAIR].failures == 1
    await ports.failures.clear([])


async def test_the_user_id_is_kept_on_the_subjects_counters(ports: Ports) -> None:
    first = await fail(ports, NOW, KEYS, user_id="user-1")
    assert {k: c.user_id for k, c in first.items()} == {
        PAIR: "user-1",
        SUBJECT: "user-1",
        SOURCE: None,  # every subject: not this user's
    }
    again = await fail(ports, NOW + 1, (PAIR,), user_id=None)
    assert again[PAIR].user_id == "user-1"


async def test_a_peer_sees_the_counts(ports: Ports) -> None:
    await fail(ports, NOW)
    peer = ports.peer()
    seen = by_key(await peer.failures.read(KEYS, NOW - WINDOW, fresh=True))
    assert {k: c.failures for k, c in seen.items()} == dict.fromkeys(KEYS, 1)
    counted = by_key(await peer.failures.add(KEYS, NOW + 1, NOW + 1 - WINDOW,
                                             keep_until=NOW + WINDOW))  # fmt: skip
    assert counted[PAIR].failures == 2


async def test_concurrent_failures_all_count(ports: Ports) -> None:
    """Failures counted at once (several requests, or instances) are each counted."""
    pairs = [FailureKey("login", f"subject-{i % 3}", "203.0.113.7") for i in range(12)]
    await asyncio.gather(
        *(
            ports.peer().failures.add(
                (pair, SOURCE, FailureKey("login", pair.subject, "")),
                NOW,
                NOW - WINDOW,
                keep_until=NOW + WINDOW,
            )
            for pair in pairs
        )
    )
    read = by_key(await ports.failures.read([SOURCE, *set(pairs)], NOW - WINDOW, fresh=True))
    assert read[SOURCE].failures == 12
    assert sorted(read[p].failures for p in set(pairs)) == [4, 4, 4]
