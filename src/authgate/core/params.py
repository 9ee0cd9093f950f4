"""Raw request parameters to a single-valued mapping (RFC 6749 §3.1, §3.2)."""

from __future__ import annotations

from collections.abc import Iterable

from authgate.errors import InvalidRequest

#: Most parameters one request may carry. An authorization request, the largest, has about
#: thirty possible ones; a request with more is not a protocol request.
MAX_PARAMETERS = 100


def single_valued(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters as a dict.

    Parameters sent without a value are treated as omitted, and a parameter may not appear
    more than once (RFC 6749 §3.1).

    Raises:
        InvalidRequest: a repeated parameter, or more than :data:`MAX_PARAMETERS`.
    """
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if len(seen) == MAX_PARAMETERS:
            raise InvalidRequest(f"The request has more than {MAX_PARAMETERS} parameters")
        if name in seen:
            raise InvalidRequest(f"The parameter {name} is included more than once")
        seen.add(name)
        if value != "":
            out[name] = value
    return out
