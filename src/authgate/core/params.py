"""Raw request parameters to a single-valued mapping (RFC 6749 §3.1, §3.2)."""

from __future__ import annotations

from collections.abc import Iterable

from authgate.errors import InvalidRequest


def single_valued(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters as a dict.

    Parameters sent without a value are treated as omitted, and a parameter may not appear
    more than once (RFC 6749 §3.1).

    Raises:
        InvalidRequest: a repeated parameter.
    """
    out: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            raise InvalidRequest(f"The parameter {name} is included more than once")
        seen.add(name)
        if value != "":
            out[name] = value
    return out
