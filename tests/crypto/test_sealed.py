"""Sealed boxes: only the holder of the secret opens them, only in their context."""

from __future__ import annotations

from authgate.crypto.handles import handle_hash, new_handle
from authgate.crypto.sealed import seal, unseal


def test_round_trip() -> None:
    secret = new_handle()
    box = seal(secret, handle_hash(secret), b"successor values")
    assert unseal(secret, handle_hash(secret), box) == b"successor values"
    assert b"successor" not in box.encode()


def test_wrong_secret_or_context_or_garbage() -> None:
    secret = new_handle()
    box = seal(secret, "ctx", b"payload")
    assert unseal(new_handle(), "ctx", box) is None
    assert unseal(secret, "other", box) is None
    assert unseal(secret, "ctx", box[:-2] + ("A" if box[-2] != "A" else "B") + box[-1]) is None
    assert unseal(secret, "ctx", "!!!") is None
    assert unseal(secret, "ctx", "") is None


def test_each_seal_uses_a_fresh_nonce() -> None:
    secret = new_handle()
    assert seal(secret, "ctx", b"x") != seal(secret, "ctx", b"x")
