"""Rich Authorization Requests (RFC 9396): ``authorization_details``.

A client describes what it wants to do in more detail than a scope can: a JSON array of
objects, each with a ``type`` (§2) the server lists in ``authorizationDetailsTypesSupported``
and, if the client registered ``authorization_details_types``, one of those (§10). The
common members ``locations``, ``actions``, ``datatypes`` and ``privileges`` must be arrays
of strings and ``identifier`` a string (§2.2); the others belong to the type and are kept as
sent. The value travels as normalised compact JSON: stored with the code and the tokens,
shown on the consent page (a request with details always asks the user), returned in the
token response (§7) and by introspection (§9.2), and put in JWT access tokens (§9.1).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from authgate.core.params import check_json
from authgate.errors import InvalidAuthorizationDetails

#: The largest ``authorization_details`` value accepted, in characters.
MAX_LENGTH = 8192
#: The most details one request may carry.
MAX_DETAILS = 16
#: Common members (RFC 9396 §2.2) that are arrays of strings.
STRING_ARRAYS = ("locations", "actions", "datatypes", "privileges")


def _object(item: Any, index: int, allowed: Collection[str]) -> None:
    if not isinstance(item, dict):
        raise InvalidAuthorizationDetails(f"authorization_details[{index}] is not a JSON object")
    kind = item.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidAuthorizationDetails(f"authorization_details[{index}] has no type")
    if kind not in allowed:
        raise InvalidAuthorizationDetails(
            f"authorization_details[{index}]: type {kind[:64]!r} is not one this client may use"
        )
    for member in STRING_ARRAYS:
        value = item.get(member)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise InvalidAuthorizationDetails(
                f"authorization_details[{index}].{member} must be an array of strings"
            )
    if "identifier" in item and not isinstance(item["identifier"], str):
        raise InvalidAuthorizationDetails(
            f"authorization_details[{index}].identifier must be a string"
        )


def parse(raw: str | None, allowed: Collection[str]) -> str | None:
    """The normalised compact JSON of a valid ``authorization_details`` value, or None when
    the request has none.

    Raises:
        InvalidAuthorizationDetails: the server takes none (``allowed`` empty), or the value
            is not a JSON array of 1 to :data:`MAX_DETAILS` valid details.
    """
    if raw is None:
        return None
    if not allowed:
        raise InvalidAuthorizationDetails(
            "authorization_details is not supported by this server for this client"
        )
    if len(raw) > MAX_LENGTH:
        raise InvalidAuthorizationDetails(
            f"authorization_details is longer than {MAX_LENGTH} characters"
        )
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidAuthorizationDetails("authorization_details is not valid JSON") from None
    if not isinstance(value, list) or not value:
        raise InvalidAuthorizationDetails("authorization_details must be a non-empty JSON array")
    check_json(value, error=InvalidAuthorizationDetails)
    if len(value) > MAX_DETAILS:
        raise InvalidAuthorizationDetails(
            f"authorization_details holds more than {MAX_DETAILS} details"
        )
    for index, item in enumerate(value):
        _object(item, index, allowed)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def narrowed(form: Mapping[str, str], granted: str | None) -> str | None:
    """The details a token request asks for (RFC 9396 §6.1), as normalised compact JSON,
    when each of them is one the grant authorized; None when it asks for none.

    Details are compared whole: a token request may leave some of the grant's details out,
    not change what one says (what a smaller detail would mean is the type's own business).
    The grant's refresh token keeps every detail; only the access token issued now carries
    fewer.

    Raises:
        InvalidAuthorizationDetails: the grant has no details, or the value is malformed or
            asks for a detail the grant does not hold.
    """
    raw = form.get("authorization_details")
    if raw is None:
        return None
    if granted is None:
        raise InvalidAuthorizationDetails(
            "authorization_details: this grant was authorized without any to narrow"
        )
    held = loaded(granted) or []
    requested = parse(raw, {str(d["type"]) for d in held})
    assert requested is not None
    for index, detail in enumerate(json.loads(requested)):
        if detail not in held:
            raise InvalidAuthorizationDetails(
                f"authorization_details[{index}] is not one of the details the grant authorized"
            )
    return requested


def allowed_types(client_types: Collection[str], server_types: Collection[str]) -> list[str]:
    """The types a client may request: the server's, narrowed to the client's registered
    ones if it registered any."""
    if not client_types:
        return list(server_types)
    return [t for t in server_types if t in client_types]


def loaded(normalised: str | None) -> list[dict[str, Any]] | None:
    """The details of a stored value, as JSON-ready objects; None for none."""
    if normalised is None:
        return None
    value: list[dict[str, Any]] = json.loads(normalised)
    return value


def shown(normalised: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The details as the consent page lists them: each one's ``type`` and its other members
    in order, a list of strings joined by commas and any other value as compact JSON."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for detail in loaded(normalised) or []:
        members = []
        for name, value in detail.items():
            if name == "type":
                continue
            if isinstance(value, str):
                text = value
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                text = ", ".join(value)
            else:
                text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            members.append((name, text))
        out.append((str(detail["type"]), members))
    return out
