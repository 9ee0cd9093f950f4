"""The claim mapping: which member of the upstream's claims (an id_token, a userinfo
response or a plain OAuth 2.0 user API's JSON) becomes each field of an
:class:`~authgate.core.federation.model.UpstreamIdentity`.

A mapping is ``{field: path}``; a path is a member name, or dotted names into nested objects
(``"account.login"``). A numeric subject (GitHub's ``id``) becomes its decimal string. Boolean
fields accept JSON ``true`` or the string ``"true"`` only.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from authgate.core.federation.model import MAPPED_FIELDS, OIDC_MAPPING, UpstreamIdentity


class MappingError(ValueError):
    """The upstream's claims have no usable subject."""


def check_mapping(mapping: Mapping[str, str]) -> None:
    """Raises ValueError naming the first unknown field or empty path."""
    for name, path in mapping.items():
        if name not in MAPPED_FIELDS:
            raise ValueError(f"unknown mapped field {name!r} (one of {', '.join(MAPPED_FIELDS)})")
        if not isinstance(path, str) or not path or any(not p for p in path.split(".")):
            raise ValueError(f"the path of {name!r} must be dotted member names")


def lookup(claims: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` in ``claims``, or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def map_identity(claims: Mapping[str, Any], mapping: Mapping[str, str]) -> UpstreamIdentity:
    """The identity in ``claims`` under ``mapping`` (fields it omits use the OIDC names).

    Raises:
        MappingError: no subject (missing, empty, or not a string or integer).
    """
    paths = {**OIDC_MAPPING, **mapping}
    subject = _text(lookup(claims, paths["sub"]))
    if subject is None:
        raise MappingError("the upstream identity has no subject")
    verified = lookup(claims, paths["email_verified"])
    email = _text(lookup(claims, paths["email"]))
    return UpstreamIdentity(
        subject=subject,
        email=email.lower() if email and "@" in email else None,
        email_verified=verified is True or verified == "true",
        name=_text(lookup(claims, paths["name"])),
        given_name=_text(lookup(claims, paths["given_name"])),
        family_name=_text(lookup(claims, paths["family_name"])),
        preferred_username=_text(lookup(claims, paths["preferred_username"])),
    )


#: Longest name part taken from a provider's posted ``user`` field.
POSTED_NAME_LENGTH = 100


def with_posted_names(identity: UpstreamIdentity, posted: str | None) -> UpstreamIdentity:
    """``identity`` with the names of a ``user`` form field where its claims have none.

    Sign in with Apple posts, with the first authorization of an app only, a ``user`` field
    beside the code: ``{"name": {"firstName": .., "lastName": ..}, "email": ..}``. It is not
    signed, so only the names are taken from it (a user may write their own name anyway),
    never the email; the id_token's claims win where they have a value. A field that is
    missing, not JSON or of another shape changes nothing.
    """
    if not posted:
        return identity
    try:
        document = json.loads(posted)
    except ValueError:
        return identity
    names = document.get("name") if isinstance(document, Mapping) else None
    if not isinstance(names, Mapping):
        return identity
    given = _name_part(names.get("firstName"))
    family = _name_part(names.get("lastName"))
    whole = " ".join(part for part in (given, family) if part) or None
    return dataclasses.replace(
        identity,
        name=identity.name or whole,
        given_name=identity.given_name or given,
        family_name=identity.family_name or family,
    )


def _name_part(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    printable = "".join(c for c in value if c.isprintable()).strip()
    return printable[:POSTED_NAME_LENGTH] or None
