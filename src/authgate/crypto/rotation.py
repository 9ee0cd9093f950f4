"""The signing key schedule: when keys are created, start signing, and leave the JWKS.

Pure planning over the stored keys; :mod:`authgate.upkeep` carries the plan out. The rules:

* every algorithm in use has a key; the first key of an algorithm signs at once (nothing can
  have cached a JWKS without it, and nothing could be signed otherwise);
* with ``keyRegenerationEnabled``, once the newest key of an algorithm has signed for
  ``keyRegenerationInterval`` hours, a successor is created that activates only after
  ``publish_delay``: longer than the instances' poll interval plus the JWKS cache lifetime,
  so every instance has loaded it and every relying party that respects the cache lifetime
  has seen it in the JWKS before the first token it signs (RFC 7517 §5, OIDC Core §10.1.1);
* the keys it supersedes get ``expires_at`` = successor activation + retention, the longest
  lifetime of anything they can have signed, so every token they signed still verifies until
  it has expired; then they leave the JWKS and are deleted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from authgate.crypto.keys import StoredKey

#: Extra seconds a superseded key stays published (clock skew between instances and RPs).
RETENTION_MARGIN = 300
#: Seconds relying parties may cache the JWKS (its ``Cache-Control: max-age``).
JWKS_MAX_AGE = 60
#: Extra seconds a new key waits after every instance and cache can have seen it.
PUBLISH_MARGIN = 10


def publish_delay(poll_interval: float) -> int:
    """Seconds between publishing a new key and signing with it: one poll interval (every
    instance loads it) plus the JWKS cache lifetime (every cache refreshes), plus a margin."""
    return math.ceil(poll_interval) + JWKS_MAX_AGE + PUBLISH_MARGIN


@dataclass(frozen=True, slots=True)
class Schedule:
    """The configuration the plan depends on, in seconds."""

    algorithms: tuple[str, ...]
    regenerate: bool
    interval: int
    publish_delay: int


@dataclass(frozen=True, slots=True)
class NewKey:
    """Create a key for ``alg`` that signs from ``activates_at`` (None: at once) and retire
    ``supersedes`` (keys of the same algorithm that have no expiry yet)."""

    alg: str
    activates_at: int | None
    supersedes: tuple[str, ...] = ()


def plan(keys: Sequence[StoredKey], schedule: Schedule, now: int) -> list[NewKey]:
    """The keys to create now, at most one per algorithm."""
    actions: list[NewKey] = []
    for alg in schedule.algorithms:
        mine = [k for k in keys if k.alg == alg and k.published(now)]
        if not mine:
            actions.append(NewKey(alg, None))
            continue
        if not schedule.regenerate or any(k.signs_from > now for k in mine):
            continue  # rotation off, or a successor is already published and waiting
        newest = max(mine, key=lambda k: (k.signs_from, k.created_at, k.kid))
        if now - newest.signs_from < schedule.interval:
            continue
        retiring = tuple(k.kid for k in mine if k.expires_at is None)
        actions.append(NewKey(alg, now + schedule.publish_delay, retiring))
    return actions


def retire_at(action: NewKey, now: int, retention: int) -> int:
    """When the keys ``action`` supersedes leave the JWKS: after the last token they may sign
    (until the successor activates) has expired."""
    starts = action.activates_at if action.activates_at is not None else now
    return starts + retention + RETENTION_MARGIN


def expired(keys: Sequence[StoredKey], now: float) -> list[str]:
    """Kids of keys that have left the JWKS and can be deleted."""
    return [k.kid for k in keys if k.expires_at is not None and k.expires_at <= now]
