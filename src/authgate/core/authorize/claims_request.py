"""The ``claims`` request parameter (OIDC Core §5.5): which claims to return, and where.

The parameter is a JSON object with optional ``userinfo`` and ``id_token`` members, each
mapping claim names to ``null`` (a voluntary claim) or to an object with ``essential``,
``value`` or ``values`` (§5.5.1). It comes as a parameter of the authorization request (also
pushed to PAR) or as a member of a request object, where it may be a JSON object rather
than a string.

The release rule (docs/request-objects.md, "The claims parameter"): the parameter chooses
among the claims the granted scopes release (OIDC Core §5.4), it never widens them. A claim
named under ``id_token`` is placed in the id_token too; under ``userinfo``, at the UserInfo
endpoint (which returns every released claim anyway). A claim the user has no value for is
omitted, essential or not (§5.5.1: not an error); a claim requested with ``value``/``values``
is returned only when the user's value is one of them.

``acr`` under ``id_token`` is not a user claim: its values go with ``acr_values`` to the
authentication decision (:func:`requested_acr`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authgate.errors import InvalidRequest

TARGETS = ("userinfo", "id_token")
#: Claims the id_token carries for protocol reasons; the claims parameter never moves them.
PROTOCOL_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"}
)
MAX_LENGTH = 8192


def _bad(why: str) -> InvalidRequest:
    return InvalidRequest(f"The claims parameter is not valid: {why} (OIDC Core §5.5)")


def _check_spec(target: str, name: str, spec: Any) -> None:
    if spec is None:
        return
    if not isinstance(spec, dict):
        raise _bad(f"{target}.{name} must be null or a JSON object")
    essential = spec.get("essential")
    if essential is not None and not isinstance(essential, bool):
        raise _bad(f"{target}.{name}.essential must be true or false")
    if "values" in spec and not isinstance(spec["values"], list):
        raise _bad(f"{target}.{name}.values must be an array")


def normalise(raw: str | Mapping[str, Any] | None) -> str | None:
    """The claims request as compact JSON with sorted keys, or None when absent.

    ``raw`` is the parameter's string, or the already decoded member of a request object.
    Members other than ``userinfo`` and ``id_token`` are dropped (§5.5: ignored).

    Raises:
        InvalidRequest: not JSON, not an object, or a member of the wrong shape.
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        if len(raw) > MAX_LENGTH:
            raise _bad(f"longer than {MAX_LENGTH} characters")
        try:
            data: Any = json.loads(raw)
        except ValueError:
            raise _bad("it is not JSON") from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise _bad("it must be a JSON object")
    kept: dict[str, Any] = {}
    for target in TARGETS:
        members = data.get(target)
        if members is None:
            continue
        if not isinstance(members, dict):
            raise _bad(f"{target} must be a JSON object")
        for name, spec in members.items():
            _check_spec(target, name, spec)
        kept[target] = members
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


def _members(claims: str | None, target: str) -> dict[str, Any]:
    if not claims:
        return {}
    data = json.loads(claims)
    members = data.get(target) if isinstance(data, dict) else None
    return members if isinstance(members, dict) else {}


@dataclass(frozen=True, slots=True)
class AcrRequest:
    """``acr`` values requested through ``claims.id_token.acr`` (OIDC Core §5.5.1.1)."""

    values: tuple[str, ...] = ()
    essential: bool = False


def requested_acr(claims: str | None) -> AcrRequest:
    """The ``acr`` values ``claims.id_token.acr`` asks for (``value`` or ``values``), and
    whether they are essential."""
    spec = _members(claims, "id_token").get("acr")
    if not isinstance(spec, dict):
        return AcrRequest()
    values: list[str] = []
    if isinstance(spec.get("value"), str):
        values.append(spec["value"])
    values += [v for v in spec.get("values") or () if isinstance(v, str)]
    return AcrRequest(tuple(dict.fromkeys(values)), spec.get("essential") is True)


def merged_acr_values(acr_values: tuple[str, ...], claims: str | None) -> tuple[str, ...]:
    """The ``acr`` values an authorization request asks for: those of ``acr_values`` first,
    then those of ``claims.id_token.acr`` (the one list step-up logic reads)."""
    return tuple(dict.fromkeys((*acr_values, *requested_acr(claims).values)))


def _matches(spec: Any, value: Any) -> bool:
    if not isinstance(spec, dict):
        return True
    if "value" in spec and spec["value"] != value:
        return False
    return not ("values" in spec and value not in spec["values"])


def select(claims: str | None, target: str, released: Mapping[str, Any]) -> dict[str, Any]:
    """The ``released`` user claims (those the granted scopes release) that the claims
    request names for ``target`` (``id_token`` or ``userinfo``), filtered by ``value``/
    ``values``. Protocol claims are never taken from here."""
    out: dict[str, Any] = {}
    for name, spec in _members(claims, target).items():
        if name in PROTOCOL_CLAIMS or name not in released:
            continue
        if _matches(spec, released[name]):
            out[name] = released[name]
    return out


def restricted(claims: str | None, target: str, released: Mapping[str, Any]) -> dict[str, Any]:
    """``released`` without the claims the request names for ``target`` with a
    ``value``/``values`` the user's value is not among."""
    members = _members(claims, target)
    return {
        name: value
        for name, value in released.items()
        if name not in members or _matches(members[name], value)
    }
