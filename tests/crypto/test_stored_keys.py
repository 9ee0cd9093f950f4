"""Stored keys load into a key ring that signs what relying parties verify; an RSA
algorithm over a key that is not RSA is refused (crypto/keys.py, ``_parse``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.crypto import keys
from authgate.crypto.keys import KeyRing, generate_key


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
def test_a_loaded_key_signs_what_its_published_key_verifies(alg: str) -> None:
    stored = generate_key(alg, created_at=1)
    signing = keys._parse(stored)
    token = jwt.encode({"alg": alg, "kid": stored.kid}, {"sub": "u1"}, signing, algorithms=[alg])
    published = KeySet.import_key_set(KeyRing([stored]).jwks())  # type: ignore[arg-type]
    assert jwt.decode(token, published, algorithms=[alg]).claims == {"sub": "u1"}


def test_an_rsa_algorithm_over_another_key_is_refused() -> None:
    ec = generate_key("ES256", created_at=1)
    with pytest.raises(ValueError, match="is not an RSA private key"):
        keys._parse(replace(ec, alg="RS256"))
