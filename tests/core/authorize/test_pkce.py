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


@pytest.mark.parametrize(
    ("verifier", "message"),
    [("a" * 42, "43 to 128"), ("a" * 129, "43 to 128"), ("a" * 42 + "/", "characters")],
)
def test_verifier_syntax(verifier: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        pkce.verify(verifier, pkce.s256(verifier), "S256")


@pytest.mark.parametrize(
    ("verifier", "challenge", "method"),
    [
        (None, None, None),  # no challenge, no verifier: nothing to check
        (RFC_VERIFIER, RFC_CHALLENGE, "S256"),
        ("y" * 50, "y" * 50, "plain"),  # plain compares literally
        ("y" * 50, "y" * 50, None),  # a stored challenge without method is plain
    ],
)
def test_verify_accepts(verifier: str | None, challenge: str | None, method: str | None) -> None:
    pkce.verify(verifier, challenge, method)


@pytest.mark.parametrize(
    ("verifier", "challenge", "method", "description"),
    [
        (
            RFC_VERIFIER,
            None,
            None,
            "code_verifier was sent but the authorization request carried no code_challenge "
            "(PKCE downgrade refused, RFC 9700 §4.8)",
        ),
        (
            None,
            RFC_CHALLENGE,
            "S256",
            "code_verifier is required: the authorization request carried a code_challenge",
        ),
        (
            "x" * 43,
            RFC_CHALLENGE,
            "S256",
            "code_verifier does not match the code_challenge (PKCE check failed)",
        ),
        (
            "y" * 50,
            "z" * 50,
            "plain",
            "code_verifier does not match the code_challenge (PKCE check failed)",
        ),
        # an S256 challenge is not accepted as a plain verifier of itself
        (
            RFC_CHALLENGE,
            RFC_CHALLENGE,
            "S256",
            "code_verifier does not match the code_challenge (PKCE check failed)",
        ),
        # the S256 of the verifier, sent as a plain challenge, is not the verifier
        (
            RFC_VERIFIER,
            RFC_CHALLENGE,
            "plain",
            "code_verifier does not match the code_challenge (PKCE check failed)",
        ),
    ],
)
def test_verify_refuses_with_invalid_grant(
    verifier: str | None, challenge: str | None, method: str | None, description: str
) -> None:
    with pytest.raises(InvalidGrant) as caught:
        pkce.verify(verifier, challenge, method)
    assert caught.value.description == description


@pytest.mark.parametrize(
    ("method", "allowed", "description"),
    [
        (
            "S-256",
            ["S256", "plain"],
            "code_challenge_method 'S-256' is not supported; use S256 or plain",
        ),
        ("S-256", ["S256"], "code_challenge_method 'S-256' is not supported; use S256"),
        ("", ["S256"], "code_challenge_method '' is not supported; use S256"),
        (
            "plain",
            ["S256"],
            "code_challenge_method 'plain' is not allowed by this server; use S256",
        ),
        (
            "Plain",
            ["S256"],
            "code_challenge_method 'plain' is not allowed by this server; use S256",
        ),
        (None, ["S256"], "code_challenge_method 'plain' is not allowed by this server; use S256"),
    ],
)
def test_method_refusal_descriptions(
    method: str | None, allowed: list[str], description: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        pkce.normalise_method(method, allowed)
    assert caught.value.description == description


@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        (RFC_CHALLENGE, "S256"),
        ("-_" * 21 + "a", "S256"),
        ("a" * 43, "plain"),
        ("a" * 128, "plain"),
        ("A-._~" * 25 + "abc", "plain"),
    ],
)
def test_challenge_syntax_accepted(challenge: str, method: str) -> None:
    pkce.check_challenge(challenge, method)


@pytest.mark.parametrize(
    ("challenge", "description"),
    [
        (
            RFC_CHALLENGE[:-1] + ".",
            "code_challenge for S256 must be 43 base64url characters (RFC 7636 §4.2)",
        ),
        ("a" * 44, "code_challenge for S256 must be 43 base64url characters (RFC 7636 §4.2)"),
        ("", "code_challenge for S256 must be 43 base64url characters (RFC 7636 §4.2)"),
    ],
)
def test_s256_challenge_refusal_description(challenge: str, description: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        pkce.check_challenge(challenge, "S256")
    assert caught.value.description == description


@pytest.mark.parametrize("verifier", ["a" * 43, "a" * 128, "A-._~" * 25 + "abc", RFC_VERIFIER])
def test_verifier_syntax_accepted(verifier: str) -> None:
    pkce.check_verifier_syntax(verifier)


@pytest.mark.parametrize(
    ("verifier", "description"),
    [
        ("a" * 42, "code_verifier must be 43 to 128 characters long, got 42 (RFC 7636 §4.1)"),
        ("a" * 129, "code_verifier must be 43 to 128 characters long, got 129 (RFC 7636 §4.1)"),
        ("", "code_verifier must be 43 to 128 characters long, got 0 (RFC 7636 §4.1)"),
        (
            "a" * 42 + "+",
            "code_verifier may contain only the characters [A-Za-z0-9-._~] (RFC 7636 §4.1)",
        ),
        (
            "a" * 42 + "é",
            "code_verifier may contain only the characters [A-Za-z0-9-._~] (RFC 7636 §4.1)",
        ),
        (
            "a" * 42 + "\n",
            "code_verifier may contain only the characters [A-Za-z0-9-._~] (RFC 7636 §4.1)",
        ),
    ],
)
def test_verifier_syntax_refusal_description(verifier: str, description: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        pkce.check_verifier_syntax(verifier)
    assert caught.value.description == description


@pytest.mark.parametrize(
    ("verifier", "challenge"),
    [
        (RFC_VERIFIER, RFC_CHALLENGE),
        ("a" * 43, "ZtNPunH49FD35FWYhT5Tv8I7vRKQJ8uxMaL0_9eHjNA"),
    ],
)
def test_s256_vectors(verifier: str, challenge: str) -> None:
    assert pkce.s256(verifier) == challenge


@pytest.mark.parametrize("method", ["s256", "S256 ", "PLAIN", "Plain"])
def test_exact_matching_refuses_other_spellings(method: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        pkce.normalise_method(method, ["S256", "plain"], exact=True)
    assert caught.value.description.startswith(f"code_challenge_method '{method}' is not supported")


@pytest.mark.parametrize("method", ["S256", "plain", None])
def test_exact_matching_accepts_the_rfc_spelling(method: str | None) -> None:
    assert pkce.normalise_method(method, ["S256", "plain"], exact=True) == (method or "plain")
