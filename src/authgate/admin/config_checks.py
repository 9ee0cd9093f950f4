"""Values a configuration change may set in the lists of protocol names.

A list such as ``grantTypesSupported`` holds names the server acts on; a name it does not
implement (a typo, or a Janssen value authgate has no code for, such as ``password``) would be
silently ignored, so a change that puts one in is refused with a 400 naming the property and
the value. Only the properties a change touches are checked: a document stored by an older
version keeps loading, and a change to another property is not refused because of it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from authgate.appconfig import (
    IMPLEMENTED_GRANT_TYPES,
    IMPLEMENTED_RESPONSE_MODES,
    IMPLEMENTED_RESPONSE_TYPES,
    AppConfiguration,
)
from authgate.core.authorize.response_types import parse
from authgate.errors import InvalidRequest


def _member_of(known: Collection[str]) -> Callable[[str], bool]:
    return lambda value: value in known


def _response_type(value: str) -> bool:
    return parse(value) is not None


#: property -> (is a value known, what the server knows, as the message lists it)
CHECKS: dict[str, tuple[Callable[[str], bool], tuple[str, ...]]] = {
    "grantTypesSupported": (_member_of(IMPLEMENTED_GRANT_TYPES), IMPLEMENTED_GRANT_TYPES),
    "grantTypesSupportedByDynamicRegistration": (
        _member_of(IMPLEMENTED_GRANT_TYPES),
        IMPLEMENTED_GRANT_TYPES,
    ),
    "responseTypesSupported": (_response_type, IMPLEMENTED_RESPONSE_TYPES),
    "responseModesSupported": (_member_of(IMPLEMENTED_RESPONSE_MODES), IMPLEMENTED_RESPONSE_MODES),
}


def check_changed(config: AppConfiguration, changed: Iterable[str]) -> None:
    """Refuse values this server does not implement in the properties that changed.

    Raises:
        InvalidRequest: naming the property, the value and the values allowed.
    """
    problems = []
    for name in sorted(set(changed) & set(CHECKS)):
        known, allowed = CHECKS[name]
        values: list[str] = getattr(config, name)
        unknown = [v for v in values if not known(v)]
        if unknown:
            problems.append(
                f"{name}: {', '.join(repr(v) for v in unknown)} not implemented by this server "
                f"(allowed: {', '.join(allowed)})"
            )
    if problems:
        raise InvalidRequest(f"Invalid configuration: {'; '.join(problems)}")
