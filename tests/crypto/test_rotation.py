"""The signing key schedule (crypto.rotation) and the key ring's choice of signing key."""

from __future__ import annotations

from authgate.crypto.keys import KeyRing, StoredKey
from authgate.crypto.rotation import (
    JWKS_MAX_AGE,
    RETENTION_MARGIN,
    NewKey,
    Schedule,
    expired,
    plan,
    publish_delay,
    retire_at,
)

HOUR = 3600
SCHEDULE = Schedule(("RS256", "ES256"), regenerate=True, interval=48 * HOUR, publish_delay=72)


def _key(kid: str, alg: str, created: int, **times: int | None) -> StoredKey:
    return StoredKey(kid, alg, "", created, times.get("expires_at"), times.get("activates_at"))


def test_first_key_of_each_algorithm_signs_at_once() -> None:
    assert plan([], SCHEDULE, 1000) == [NewKey("RS256", None), NewKey("ES256", None)]


def test_nothing_due_before_the_interval() -> None:
    keys = [_key("r1", "RS256", 0), _key("e1", "ES256", 0)]
    assert plan(keys, SCHEDULE, 48 * HOUR - 1) == []


def test_successor_is_published_before_it_signs() -> None:
    keys = [_key("r1", "RS256", 0), _key("e1", "ES256", 10 * HOUR)]
    actions = plan(keys, SCHEDULE, 48 * HOUR)
    assert actions == [NewKey("RS256", 48 * HOUR + 72, ("r1",))]


def test_no_second_successor_while_one_waits() -> None:
    keys = [
        _key("r1", "RS256", 0, expires_at=99 * HOUR),
        _key("r2", "RS256", 48 * HOUR, activates_at=48 * HOUR + 72),
        _key("e1", "ES256", 48 * HOUR),
    ]
    assert plan(keys, SCHEDULE, 48 * HOUR + 10) == []


def test_interval_counts_from_activation() -> None:
    keys = [_key("r2", "RS256", 0, activates_at=72), _key("e1", "ES256", 72)]
    assert plan(keys, SCHEDULE, 48 * HOUR + 71) == []
    assert [a.alg for a in plan(keys, SCHEDULE, 48 * HOUR + 72)] == ["RS256", "ES256"]


def test_regeneration_off_keeps_keys_but_fills_gaps() -> None:
    off = Schedule(("RS256", "PS256"), regenerate=False, interval=HOUR, publish_delay=72)
    keys = [_key("r1", "RS256", 0)]
    assert plan(keys, off, 10 * HOUR) == [NewKey("PS256", None)]


def test_retired_keys_do_not_count_and_are_deleted() -> None:
    keys = [_key("r1", "RS256", 0, expires_at=100), _key("e1", "ES256", 0)]
    assert plan(keys, SCHEDULE, 200) == [NewKey("RS256", None)]
    assert expired(keys, 100) == ["r1"]
    assert expired(keys, 99) == []


def test_retirement_after_the_last_token_expires() -> None:
    action = NewKey("RS256", 5000, ("r1",))
    assert retire_at(action, 4928, 3600) == 5000 + 3600 + RETENTION_MARGIN


def test_publish_delay_covers_poll_and_cache() -> None:
    assert publish_delay(2.0) >= 2 + JWKS_MAX_AGE
    assert publish_delay(30.5) >= 31 + JWKS_MAX_AGE


def test_key_ring_switches_at_activation_and_drops_at_expiry(
    signing_keys: list[StoredKey],
) -> None:
    rs, es, _ps = signing_keys
    t = rs.created_at
    now = [t + 1000.0]
    successor = StoredKey("r2", "RS256", rs.private_pem, t + 1000, None, t + 1072)
    retiring = StoredKey(rs.kid, "RS256", rs.private_pem, t, t + 5000, None)
    ring = KeyRing([retiring, es, successor], lambda: now[0])
    assert ring.signing_kid_for("RS256") == rs.kid
    assert {k["kid"] for k in ring.jwks()["keys"]} == {rs.kid, es.kid, "r2"}
    now[0] = t + 1072
    assert ring.signing_kid_for("RS256") == "r2"
    now[0] = t + 5000
    assert {k["kid"] for k in ring.jwks()["keys"]} == {es.kid, "r2"}
    assert ring.algorithms == frozenset({"RS256", "ES256"})
