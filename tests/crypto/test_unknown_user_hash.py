"""A password checked for an unknown user (no stored hash) costs one argon2id computation
with the same parameters as a real user's hash, so response time does not tell whether a
username exists; the stand-in hash is made without hashing and matches no password."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from authgate.crypto.passwords import COSTS, hasher_for


@pytest.mark.parametrize("cost", sorted(COSTS))
async def test_an_unknown_user_costs_what_a_known_one_does(cost: str) -> None:
    hasher = hasher_for(cost)
    real = hasher.hash("correct horse")
    assert extract_parameters(hasher._dummy) == extract_parameters(real)
    assert hasher._dummy.split("$")[:4] == real.split("$")[:4]  # argon2id, version, m/t/p
    assert not await hasher.verify(None, "correct horse")
    assert not await hasher.verify(None, "")
    assert await hasher.verify(real, "correct horse")


def test_each_hasher_has_its_own_stand_in() -> None:
    assert hasher_for("minimal")._dummy != hasher_for("minimal")._dummy
