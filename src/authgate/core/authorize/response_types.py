"""Response types and response modes of the authorization endpoint.

Sources: OIDC Core §3 (code, implicit and hybrid flows), OAuth 2.0 Multiple Response Type
Encoding Practices (MRT) §2-§5, OAuth 2.0 Form Post Response Mode (FPRM) §2, JWT Secured
Authorization Response Mode (JARM) §2.3 (:mod:`.jarm`). A response
type is a *set* of parts (``code``, ``token``, ``id_token``): the order in a request does not
matter (MRT §3). Responses that carry a token never travel in the query (MRT §2.1, §5).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping

from authgate.appconfig import (
    IMPLEMENTED_RESPONSE_MODES,
    IMPLEMENTED_RESPONSE_TYPES,
    AppConfiguration,
)
from authgate.core import profile
from authgate.core.authorize import jarm
from authgate.core.types import Client
from authgate.errors import InvalidRequest, UnauthorizedClient, UnsupportedResponseType

CODE = "code"
TOKEN = "token"  # noqa: S105 - a response type name
ID_TOKEN = "id_token"  # noqa: S105 - a response type name
PARTS = (CODE, TOKEN, ID_TOKEN)
#: Parts that deliver a token in the front channel and so belong to the implicit grant.
IMPLICIT_PARTS = frozenset({TOKEN, ID_TOKEN})
IMPLICIT_GRANT = "implicit"
CODE_GRANT = "authorization_code"

ResponseType = frozenset[str]
#: Modes that put the response in the query, where tokens never go (MRT §5, JARM §2.3.1).
QUERY_MODES = frozenset({"query", "query.jwt"})


def parse(value: str | None) -> ResponseType | None:
    """The parts of a ``response_type`` value, or None if it is empty or malformed.

    Malformed means an unknown part or a repeated one (MRT §3: a space-delimited list of
    distinct values).
    """
    if not value:
        return None
    parts = value.split(" ")
    if len(set(parts)) != len(parts) or not set(parts) <= set(PARTS):
        return None
    return frozenset(parts)


def canonical(parts: Iterable[str]) -> str:
    """The spelling authgate uses for a response type: parts in ``code token id_token``
    order as in :data:`IMPLEMENTED_RESPONSE_TYPES` (``code id_token token``)."""
    wanted = frozenset(parts)
    for name in IMPLEMENTED_RESPONSE_TYPES:
        if frozenset(name.split()) == wanted:
            return name
    return " ".join(p for p in PARTS if p in wanted)


def implicit_enabled(config: AppConfiguration) -> bool:
    """Whether the implicit grant is on: ``implicitFlowEnabled``, listed as supported, and
    not removed by the OAuth 2.1 profile (:mod:`authgate.core.profile`)."""
    return (
        config.implicitFlowEnabled
        and IMPLICIT_GRANT in config.grantTypesSupported
        and profile.grant_type_allowed(IMPLICIT_GRANT, config)
    )


def grants_needed(parts: ResponseType) -> frozenset[str]:
    """The grant types a response type uses: ``authorization_code`` for ``code``,
    ``implicit`` for ``token``/``id_token`` (docs/janssen-compatibility.md §4.2)."""
    needed = set()
    if CODE in parts:
        needed.add(CODE_GRANT)
    if parts & IMPLICIT_PARTS:
        needed.add(IMPLICIT_GRANT)
    return frozenset(needed)


def supported(config: AppConfiguration) -> list[str]:
    """Response types that work now, in canonical spelling: implemented, listed in
    ``responseTypesSupported`` (any part order), with every grant they need enabled, and,
    for those returning tokens, a response mode other than ``query`` to carry them.

    Computed once per distinct value of the properties it reads (every authorize request
    asks, and the key costs far less than the answer).
    """
    return list(
        _supported(
            tuple(config.responseTypesSupported),
            tuple(config.grantTypesSupported),
            tuple(config.responseModesSupported),
            implicit_enabled(config),
        )
    )


@functools.lru_cache(maxsize=32)
def _supported(
    listed_types: tuple[str, ...],
    listed_grants: tuple[str, ...],
    listed_modes: tuple[str, ...],
    implicit: bool,
) -> tuple[str, ...]:
    configured = {frozenset(v.split()) for v in listed_types}
    enabled_grants = set(listed_grants)
    if not implicit:
        enabled_grants.discard(IMPLICIT_GRANT)
    token_modes = set(_implemented_modes(listed_modes)) - QUERY_MODES
    out = []
    for name in IMPLEMENTED_RESPONSE_TYPES:
        parts = frozenset(name.split())
        if (
            parts in configured
            and grants_needed(parts) <= enabled_grants
            and (token_modes or not returns_tokens(parts))
        ):
            out.append(name)
    return tuple(out)


def supported_modes(config: AppConfiguration) -> list[str]:
    """Response modes that work now: implemented and listed in ``responseModesSupported``."""
    return _implemented_modes(config.responseModesSupported)


def _implemented_modes(listed: Collection[str]) -> list[str]:
    return [m for m in IMPLEMENTED_RESPONSE_MODES if m in listed]


def returns_tokens(parts: ResponseType) -> bool:
    """True if the authorization response carries an access token or an id_token."""
    return bool(parts & IMPLICIT_PARTS)


def default_mode(parts: ResponseType) -> str:
    """``query`` for ``code``, ``fragment`` for anything that returns a token (MRT §2.1, §5)."""
    return "fragment" if returns_tokens(parts) else "query"


def check_type(raw: str | None, client: Client, config: AppConfiguration) -> ResponseType:
    """Validate ``response_type`` for this client.

    Returns:
        Its parts (spell them with :func:`canonical`).

    Raises:
        InvalidRequest: ``response_type`` missing.
        UnsupportedResponseType: malformed, not implemented or turned off on this server.
        UnauthorizedClient: the client is not registered for the response type or its grant.
    """
    if not raw:
        raise InvalidRequest("The request is missing the response_type parameter")
    parts = parse(raw)
    if parts is None or canonical(parts) not in supported(config):
        raise UnsupportedResponseType(f"response_type '{raw}' is not supported")
    meta = client.metadata
    if not parts <= set(meta.response_types) or not grants_needed(parts) <= set(meta.grant_types):
        raise UnauthorizedClient(
            f"The client is not registered for response_type '{raw}' "
            f"(needs response types {sorted(parts)} and grant types "
            f"{sorted(grants_needed(parts))})"
        )
    return parts


def check_mode(
    requested: str | None, parts: ResponseType, raw: str, config: AppConfiguration
) -> str:
    """The response mode to use: ``requested``, or the default for the response type
    ``raw`` (as sent) whose parts are ``parts``; JARM's ``jwt`` is spelled out as
    ``query.jwt`` or ``fragment.jwt`` (:func:`.jarm.resolve`).

    Raises:
        InvalidRequest: an unsupported ``response_mode``, or ``query``/``query.jwt`` for a
            response carrying tokens.
    """
    mode = requested or default_mode(parts)
    if mode not in supported_modes(config):
        raise InvalidRequest(f"response_mode '{mode}' is not supported")
    mode = jarm.resolve(mode, returns_tokens(parts))
    if mode == "query" and returns_tokens(parts):
        raise InvalidRequest(
            f"response_mode=query cannot carry the tokens of response_type '{raw}'; "
            "use fragment or form_post (OAuth 2.0 Multiple Response Types §5)"
        )
    if mode == "query.jwt" and returns_tokens(parts):
        raise InvalidRequest(
            f"response_mode=query.jwt cannot carry the tokens of response_type '{raw}': "
            "tokens stay out of URLs' query, encrypted or not; use fragment.jwt or form_post.jwt "
            "(JARM §2.3.1)"
        )
    return mode


def error_mode(params: Mapping[str, str], config: AppConfiguration) -> str:
    """How to deliver an error for this request once its redirect URI is trusted.

    The requested ``response_mode`` if it is usable, else the default for the response type
    (so a refused ``query`` for ``id_token`` answers in the fragment), else ``query``. A
    usable JARM mode stays one, so the error is signed too (JARM §2.4). Never raises: it is
    used while reporting another error.
    """
    parts = parse(params.get("response_type")) or frozenset({CODE})
    requested = params.get("response_mode")
    if requested in supported_modes(config):
        mode = jarm.resolve(str(requested), returns_tokens(parts))
        if not (mode in QUERY_MODES and returns_tokens(parts)):
            return mode
    return default_mode(parts)
