"""Raw request parameters to a single-valued mapping (RFC 6749 §3.1, §3.2), and the one check
for control characters in text from the outside.

No OAuth 2.0 or OpenID Connect parameter, no header authgate parses and no registration
member carries a C0 control character (U+0000-U+001F) or DEL (U+007F): their values are
URIs, tokens, identifiers and display text (RFC 6749 Appendix A restricts most parameters to
printable characters outright). So any of them is refused where the text enters, before it
can reach a log line, a page or the database (PostgreSQL refuses NUL in text outright).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from authgate.errors import InvalidRequest, OAuthError

_CONTROL = re.compile("[\x00-\x1f\x7f]")
#: Longest name quoted back in an error description.
_NAME_LIMIT = 64


def has_control(text: str) -> bool:
    """Whether ``text`` contains a C0 control character or DEL."""
    return _CONTROL.search(text) is not None


def printable(name: str) -> str:
    """``name`` with control characters escaped (``\\x00``) and cut to a short length, safe
    to quote in an error description, a page or a log line."""
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return escaped if len(escaped) <= _NAME_LIMIT else escaped[:_NAME_LIMIT] + "..."


def check_text(name: str, value: str, *, what: str = "parameter") -> None:
    """Refuse a name/value pair from the outside holding a control character.

    Raises:
        InvalidRequest: naming the parameter (escaped); never echoing the value.
    """
    if has_control(name) or has_control(value):
        raise InvalidRequest(f"The {what} {printable(name)} contains a control character")


def control_member(document: Any, path: str = "") -> str | None:
    """Where the first control character of a decoded JSON document is: the path of the
    member whose name or string value holds one (``redirect_uris[0]``, ``jwks.keys[1].kid``),
    ``"(document)"`` for a top-level string, or None if there is none."""
    if isinstance(document, str):
        return (path or "(document)") if has_control(document) else None
    if isinstance(document, dict):
        for key, value in document.items():
            member = f"{path}.{key}" if path else str(key)
            if has_control(str(key)):
                return member
            found = control_member(value, member)
            if found is not None:
                return found
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found = control_member(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def check_json(document: Any, *, error: type[OAuthError] = InvalidRequest) -> None:
    """Refuse a decoded JSON body with a control character in any member name or string.

    Raises:
        error: naming the member (escaped), e.g. ``invalid_client_metadata`` at registration.
    """
    member = control_member(document)
    if member is not None:
        raise error(f"The member {printable(member)} contains a control character")


#: Most parameters one request may carry. An authorization request, the largest, has about
#: thirty possible ones; a request with more is not a protocol request.
MAX_PARAMETERS = 100


#: Parameters that may repeat: RFC 8707 §2 ``resource`` and RFC 8693 §2.1 ``audience``. Their
#: values are kept in one entry, joined by :data:`VALUE_SEPARATOR`; read them with
#: :func:`values`.
MULTI_VALUED = frozenset({"resource", "audience"})
#: A control character, so never part of a value (:func:`check_text` refuses them): joining
#: with it cannot be confused with a value, and the joined entry survives storage (PAR).
VALUE_SEPARATOR = "\n"


def values(params: Mapping[str, str], name: str) -> tuple[str, ...]:
    """The values of a parameter of :data:`MULTI_VALUED`, in request order, repeats dropped."""
    raw = params.get(name)
    if not raw:
        return ()
    return tuple(dict.fromkeys(v for v in raw.split(VALUE_SEPARATOR) if v))


def single_valued(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Parameters as a dict.

    Parameters sent without a value are treated as omitted, and a parameter may not appear
    more than once (RFC 6749 §3.1), except those of :data:`MULTI_VALUED`, whose values are
    joined by :data:`VALUE_SEPARATOR`.

    Raises:
        InvalidRequest: a repeated parameter, more than :data:`MAX_PARAMETERS`, or a name or
            value with a control character.
    """
    out: dict[str, str] = {}
    seen: set[str] = set()
    for count, (name, value) in enumerate(pairs):
        if count == MAX_PARAMETERS:
            raise InvalidRequest(f"The request has more than {MAX_PARAMETERS} parameters")
        check_text(name, value)
        if name in MULTI_VALUED and name in seen:
            if value != "":
                out[name] = f"{out[name]}{VALUE_SEPARATOR}{value}" if name in out else value
            continue
        if name in seen:
            raise InvalidRequest(f"The parameter {name} is included more than once")
        seen.add(name)
        if value != "":
            out[name] = value
    return out
