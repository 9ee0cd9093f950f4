"""Janssen's client authentication filters (docs/janssen-compatibility.md §6.2, branch (b)).

A filter such as ``myCustomAttr1={0}`` or ``(&(myCustomAttr1={0})(myCustomAttr2={1}))``
names custom client attributes; each ``{n}`` placeholder takes the value of the token request
parameter with the same name as its attribute. A filter authenticates a client when every
named parameter is present and exactly one client has all those attribute values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from authgate.appconfig import ClientAuthenticationFilter

_TERM = re.compile(r"\(?\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*\{(\d+)\}\s*\)?")


def filter_terms(expression: str) -> list[str]:
    """The attribute names a filter expression constrains, in order."""
    return [name for name, _index in _TERM.findall(expression)]


def bind_filter(
    flt: ClientAuthenticationFilter, params: Mapping[str, str]
) -> dict[str, str] | None:
    """The attribute=value pairs the filter demands for this request, or None if it cannot apply.

    Parameter names match attribute names case-insensitively, as in Janssen.
    """
    lowered = {k.lower(): v for k, v in params.items()}
    bound: dict[str, str] = {}
    names = filter_terms(flt.filter)
    if not names:
        return None
    for name in names:
        value = lowered.get(name.lower())
        if not value:
            return None
        bound[name] = value
    return bound
