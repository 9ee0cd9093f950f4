"""Proof Key for Code Exchange (RFC 7636), applied strictly.

Differences from Janssen (docs/janssen-compatibility.md §5), deliberate: the method is matched
case-insensitively (``s256``, as the flow document writes it) unless the OAuth 2.1 profile
asks for the exact spelling of RFC 7636 §4.3, and an unknown method is refused instead of
falling back to ``plain``;
challenge and verifier syntax (43-128 unreserved characters, §4.1/§4.2) is enforced; a
verifier presented for a code issued without a challenge is refused (RFC 9700 §4.8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

from authgate.errors import InvalidGrant, InvalidRequest

#: RFC 7636 §4.1: code-verifier = 43*128unreserved
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
#: An S256 challenge is BASE64URL(SHA256(verifier)) without padding: exactly 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
METHODS = {"s256": "S256", "plain": "plain"}


def s256(verifier: str) -> str:
    """BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def normalise_method(method: str | None, allowed: Sequence[str], *, exact: bool = False) -> str:
    """The canonical method name for ``code_challenge_method``.

    Absent means ``plain`` (RFC 7636 §4.3). Matching is case-insensitive (``s256``, as the
    flow document writes it, is ``S256``), or with ``exact`` only the spelling RFC 7636 §4.3
    defines (``S256``, ``plain``).

    Raises:
        InvalidRequest: unknown method, or a method the server's policy refuses.
    """
    raw = "plain" if method is None else method
    canonical = METHODS.get(raw.lower())
    if canonical is not None and exact and raw != canonical:
        raise InvalidRequest(
            f"code_challenge_method '{raw}' is not supported; use S256 (RFC 7636 §4.3 "
            "spelling, required by the OAuth 2.1 profile)"
        )
    if canonical is None:
        raise InvalidRequest(
            f"code_challenge_method '{raw}' is not supported; use S256"
            + (" or plain" if "plain" in allowed else "")
        )
    if canonical not in allowed:
        raise InvalidRequest(
            f"code_challenge_method '{canonical}' is not allowed by this server; use S256"
        )
    return canonical


def check_challenge(challenge: str, method: str) -> None:
    """Syntax of ``code_challenge`` for a canonical ``method``.

    Raises:
        InvalidRequest: the challenge cannot have come from a valid verifier.
    """
    if method == "S256":
        if not _S256_CHALLENGE.fullmatch(challenge):
            raise InvalidRequest(
                "code_challenge for S256 must be 43 base64url characters (RFC 7636 §4.2)"
            )
    elif not _VERIFIER.fullmatch(challenge):
        raise InvalidRequest(
            "code_challenge for plain must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.2)"
        )


def check_verifier_syntax(verifier: str) -> None:
    """Raises InvalidRequest unless ``verifier`` is 43-128 unreserved characters (§4.1)."""
    if not 43 <= len(verifier) <= 128:
        raise InvalidRequest(
            f"code_verifier must be 43 to 128 characters long, got {len(verifier)} (RFC 7636 §4.1)"
        )
    if not _VERIFIER.fullmatch(verifier):
        raise InvalidRequest(
            "code_verifier may contain only the characters [A-Za-z0-9-._~] (RFC 7636 §4.1)"
        )


def verify(verifier: str | None, challenge: str | None, method: str | None) -> None:
    """The token endpoint's PKCE check for one code (RFC 7636 §4.6, RFC 9700 §4.8).

    Raises:
        InvalidGrant: downgrade (verifier without challenge), missing verifier, or mismatch.
        InvalidRequest: a malformed verifier.
    """
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant(
                "code_verifier was sent but the authorization request carried no "
                "code_challenge (PKCE downgrade refused, RFC 9700 §4.8)"
            )
        return
    if verifier is None:
        raise InvalidGrant(
            "code_verifier is required: the authorization request carried a code_challenge"
        )
    check_verifier_syntax(verifier)
    computed = s256(verifier) if method == "S256" else verifier
    if not hmac.compare_digest(computed.encode("ascii"), challenge.encode("ascii")):
        raise InvalidGrant("code_verifier does not match the code_challenge (PKCE check failed)")
