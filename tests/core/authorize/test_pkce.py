"""RFC 7636 rules as pure functions."""

from __future__ import annotations

import pytest

from authgate.core.authorize import pkce
from authgate.errors import InvalidGrant, InvalidRequest

# RFC 7636 Appendix B
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_rfc7636_appendix_b_vector() -> None:
    assert pkce.s256(RFC_VERIFIER) == RFC_CHALLENGE
    pkce.verify(RFC_VERIFIER, RFC_CHALLENGE, "S256")


def test_flow_document_vector() -> None:
    verifier = (
        "MW54l5Ma7i8n6QsetI_dnJhfMQ6gIfBNJiWFINu6rtD0zvZUXG3STWoolT5HFatjWu2Vj1L-Au4PtRzkear088FJ"
        "Lzq.6tAg10wikJrIqn75HCJ7V1b_p8io_ugkPkkr"
    )
    assert pkce.s256(verifier) == "zyI60XbvMetJJuAzyRR_jnxoJkyfxXSqY-mTG4FtBtg"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("s256", "S256"), ("S256", "S256"), ("plain", "plain"), ("PLAIN", "plain"), (None, "plain")],
)
def test_method_names_are_case_insensitive(raw: str | None, canonical: str) -> None:
    assert pkce.normalise_method(raw, ["S256", "plain"]) == canonical


@pytest.mark.parametrize("raw", ["S-256", "sha256", "", "S512"])
def test_unknown_method_is_invalid_request(raw: str) -> None:
    with pytest.raises(InvalidRequest, match="not supported"):
        pkce.normalise_method(raw, ["S256", "plain"])


def test_plain_refused_when_policy_removes_it() -> None:
    with pytest.raises(InvalidRequest, match="not allowed"):
        pkce.normalise_method("plain", ["S256"])
    with pytest.raises(InvalidRequest):
        pkce.normalise_method(None, ["S256"])


@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        ("short", "S256"),
        (RFC_CHALLENGE + "=", "S256"),
        (RFC_CHALLENGE[:-1] + "+", "S256"),
        ("a" * 42, "plain"),
        ("a" * 129, "plain"),
        ("a" * 42 + "!", "plain"),
    ],
)
def test_challenge_syntax(challenge: str, method: str) -> None:
    with pytest.raises(InvalidRequest):
        pkce.check_challenge(challenge, method)


def test_valid_challenges_pass() -> None:
    pkce.check_challenge(RFC_CHALLENGE, "S256")
    pkce.check_challenge("a" * 43, "plain")
    pkce.check_challenge("A-._~" * 25 + "abc", "plain")


@pytest.mark.parametrize(
    ("verifier", "message"),
    [("a" * 42, "43 to 128"), ("a" * 129, "43 to 128"), ("a" * 42 + "/", "characters")],
)
def test_verifier_syntax(verifier: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        pkce.verify(verifier, pkce.s256(verifier), "S256")


def test_decision_table() -> None:
    # no challenge, no verifier: nothing to check
    pkce.verify(None, None, None)
    # downgrade: a verifier for a code issued without a challenge
    with pytest.raises(InvalidGrant, match="downgrade"):
        pkce.verify(RFC_VERIFIER, None, None)
    # challenge but no verifier
    with pytest.raises(InvalidGrant, match="required"):
        pkce.verify(None, RFC_CHALLENGE, "S256")
    # mismatch
    with pytest.raises(InvalidGrant, match="does not match"):
        pkce.verify("x" * 43, RFC_CHALLENGE, "S256")
    # plain compares literally
    pkce.verify("y" * 50, "y" * 50, "plain")
    with pytest.raises(InvalidGrant):
        pkce.verify("y" * 50, "z" * 50, "plain")
    # an S256 challenge is not accepted as a plain verifier of itself
    with pytest.raises(InvalidGrant):
        pkce.verify(RFC_CHALLENGE, RFC_CHALLENGE, "S256")
