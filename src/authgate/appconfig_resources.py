"""Resource indicators (RFC 8707), token exchange (RFC 8693) and Rich Authorization Requests
(RFC 9396) in the configuration document.

:class:`ResourceProperties` is a base of :class:`authgate.appconfig.AppConfiguration`; it
exists only to keep each module small, so these properties are ordinary members of the one
configuration document. The per-client settings are client metadata (``allowed_resources``,
``token_exchange_audiences``); docs/resources.md describes both features.

:func:`uri_problem` is the one check of a resource indicator's form, shared by the
configuration document, client metadata and requests (:mod:`authgate.core.resources`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: The token exchange grant type (RFC 8693 §2.1).
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - a URN
#: RFC 3986 §3.1 scheme.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
#: Longest resource indicator or audience kept (they are stored with every token).
TARGET_MAX = 512


def uri_problem(value: str) -> str | None:
    """Why ``value`` is not a resource indicator (an absolute URI without a fragment,
    RFC 8707 §2), or None if it is one."""
    if len(value) > TARGET_MAX:
        return f"is longer than {TARGET_MAX} characters"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "contains white space or a control character"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "is not a URI"
    if not parts.scheme or not _SCHEME.match(parts.scheme) or not (parts.netloc or parts.path):
        return "is not an absolute URI"
    if "#" in value:
        return "has a fragment"
    return None


def audience_problem(value: str) -> str | None:
    """Why ``value`` cannot be a token exchange audience (RFC 8693 §2.1: a logical name, or a
    resource URI), or None."""
    if not value:
        return "is empty"
    if len(value) > TARGET_MAX:
        return f"is longer than {TARGET_MAX} characters"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "contains white space or a control character"
    return None


def check_resources(values: Iterable[str]) -> list[str]:
    """A configured list of resource indicators, repeats dropped.

    Raises:
        ValueError: naming the first bad value and why.
    """
    out = list(dict.fromkeys(values))
    for value in out:
        problem = uri_problem(value)
        if problem is not None:
            raise ValueError(f"{value[:64]!r} {problem} (RFC 8707 §2)")
    return out


#: An authorization details type (RFC 9396 §2): a name or a URI; printable, no spaces.
DETAIL_TYPE = re.compile(r"^[\x21-\x7e]{1,128}$")


def check_detail_types(values: Iterable[str]) -> list[str]:
    """A list of authorization details types, repeats dropped.

    Raises:
        ValueError: naming the first value that is not printable ASCII without spaces, of
            1 to 128 characters.
    """
    out = list(dict.fromkeys(values))
    for value in out:
        if not DETAIL_TYPE.match(value):
            raise ValueError(
                f"{value[:64]!r} is not an authorization details type: 1 to 128 printable "
                "ASCII characters without spaces (RFC 9396 §2)"
            )
    return out


def check_audiences(values: Iterable[str]) -> list[str]:
    """A configured list of token exchange audiences, repeats dropped.

    Raises:
        ValueError: naming the first bad value and why.
    """
    out = list(dict.fromkeys(values))
    for value in out:
        problem = audience_problem(value)
        if problem is not None:
            raise ValueError(f"{value[:64]!r} {problem}")
    return out


class ResourceProperties(BaseModel):
    """Resource indicator and token exchange members of the configuration document."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    defaultResourceIndicators: list[str] = Field(
        default_factory=list,
        description="Resource indicators (RFC 8707: absolute URIs without fragment) a client "
        "may name in `resource` when its own `allowed_resources` metadata is empty. Empty "
        "(the default): such clients may name none, and any `resource` is `invalid_target`. "
        "A token issued for resources has them as its audience. authgate extension.",
    )
    tokenExchangeMaxActorDepth: int = Field(
        4,
        ge=1,
        le=16,
        description="Deepest chain of `act` claims a token exchange (RFC 8693 §4.1) may build: "
        "an exchange whose issued token would nest more actors is `invalid_request`. The "
        "grant itself is enabled by adding `urn:ietf:params:oauth:grant-type:token-exchange` "
        "to grantTypesSupported; each client also needs the grant and its "
        "`token_exchange_audiences`. authgate extension.",
    )

    authorizationDetailsTypesSupported: list[str] = Field(
        default_factory=list,
        description="Rich Authorization Requests (RFC 9396): the `type` values an "
        "`authorization_details` request may use (a client's `authorization_details_types` "
        "narrows them). Each detail is shown on the consent page and carried to the tokens, "
        "the token response and introspection. Empty (the default): `authorization_details` "
        "is refused with `invalid_authorization_details`.",
    )

    @field_validator("authorizationDetailsTypesSupported")
    @classmethod
    def _detail_types(cls, value: list[str]) -> list[str]:
        return check_detail_types(value)

    @field_validator("defaultResourceIndicators")
    @classmethod
    def _resources(cls, value: list[str]) -> list[str]:
        return check_resources(value)
