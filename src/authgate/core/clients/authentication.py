"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3,
§3.2.1; docs/janssen-compatibility.md §6.2).

Order, as in Janssen's AuthenticationFilter: a client assertion (``private_key_jwt``, see
:mod:`authgate.core.clients.assertion`); else HTTP Basic (``client_secret_basic``); else
``client_id`` + ``client_secret`` in the body (``client_secret_post``); else, when
``clientAuthenticationFiltersEnabled`` is true, only the configured filters; else a ``none``
client identified by ``client_id``. The filter branch and the ``none`` branch exclude each
other: that is why the flow document turns the property off.

The checks of a secret and of an assertion run under brute-force protection
(:mod:`authgate.core.protection.clients`): once a client's credentials failed too often from
one source, further attempts from there are refused with ``invalid_client`` until a wait has
passed, before any check.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from authgate.core.clients import assertion as client_assertion
from authgate.core.clients.filters import bind_filter
from authgate.core.endpoints import TOKEN
from authgate.core.params import has_control
from authgate.core.ports import Services
from authgate.core.protection import attempts
from authgate.core.protection.clients import protect, retry_hint
from authgate.core.protection.policy import Standing
from authgate.core.types import PUBLIC_AUTH_METHOD, Client
from authgate.crypto.handles import hash_matches
from authgate.errors import InvalidClient, InvalidRequest

_NOT_BASIC = "The Authorization header is not valid Basic credentials"


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic`` credentials, form-urlencoded per RFC 6749 §2.3.1.

    Raises:
        InvalidClient: the value is not base64 (non-ASCII characters included), does not
            decode to UTF-8, has no colon, or its client_id or secret holds a control
            character once decoded.
    """
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        # binascii.Error, UnicodeDecodeError and the non-ASCII str error are all ValueErrors
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:
        raise InvalidClient(_NOT_BASIC) from None
    if ":" not in decoded:
        raise InvalidClient(_NOT_BASIC)
    raw_id, raw_secret = decoded.split(":", 1)
    client_id, secret = unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))
    if has_control(client_id) or has_control(secret):
        raise InvalidClient(_NOT_BASIC)
    return client_id, secret


def _methods(client: Client) -> set[str]:
    meta = client.metadata
    return {meta.token_endpoint_auth_method, *meta.additional_token_endpoint_auth_methods}


async def _usable(client_id: str, svc: Services) -> Client:
    client = await svc.clients.get(client_id)
    if client is None or client.disabled or client.expired(svc.clock.now()):
        raise InvalidClient("Client authentication failed: unknown, disabled or expired client")
    return client


async def _with_secret(client_id: str, secret: str, method: str, svc: Services) -> Client:
    client = await _usable(client_id, svc)
    if method not in _methods(client):
        raise InvalidClient(
            f"Client authentication failed: the client is not registered for {method}"
        )
    if not hash_matches(secret, client.secret_hash):
        raise InvalidClient("Client authentication failed: wrong client secret")
    if client.client_secret_expires_at and client.client_secret_expires_at <= svc.clock.now():
        raise InvalidClient("Client authentication failed: the client secret has expired")
    return client


async def _by_filters(form: Mapping[str, str], svc: Services) -> Client:
    for flt in svc.config.current.clientAuthenticationFilters:
        wanted = bind_filter(flt, form)
        if wanted is None:
            continue
        found = await svc.clients.find_by_attributes(wanted)
        now = svc.clock.now()
        live = [c for c in found if not c.disabled and not c.expired(now)]
        if len(live) == 1:
            client = live[0]
            if "client_id" in form and form["client_id"] != client.client_id:
                break
            return client
    raise InvalidClient(
        "Client authentication failed: client authentication filters are enabled "
        "(clientAuthenticationFiltersEnabled=true) and no filter in clientAuthenticationFilters "
        "matched this request, so a request without a client secret cannot be authenticated. "
        "Set clientAuthenticationFiltersEnabled to false to let public clients "
        "(token_endpoint_auth_method=none) use the token endpoint."
    )


def _refused(standing: Standing) -> InvalidClient:
    if standing.retry_after:
        return retry_hint(
            InvalidClient(
                "Client authentication failed: too many failed attempts from this address; "
                f"try again in {standing.retry_after} seconds"
            ),
            standing.retry_after,
        )
    return InvalidClient("Client authentication failed: too many failed attempts; try later")


async def _guarded(
    client_id: str, source: str, svc: Services, check: Callable[[], Awaitable[Client]]
) -> Client:
    return await protect(
        attempts.CLIENT, client_id, source, svc, check, counted=InvalidClient, refusal=_refused
    )


async def _by_assertion(assertion: str, client_id: str, svc: Services, endpoint: str) -> Client:
    client = await _usable(client_id, svc)
    if client_assertion.METHOD not in _methods(client):
        raise InvalidClient(
            "Client authentication failed: the client is not registered for private_key_jwt"
        )
    await client_assertion.verify(assertion, client, svc, endpoint)
    return client


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A client and how it proved its identity (``none``: it only named itself)."""

    client: Client
    method: str


async def authenticate(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    endpoint: str = TOKEN,
    source: str = attempts.UNKNOWN_SOURCE,
) -> Client:
    """The authenticated client of a request to the token, revocation or introspection
    endpoint; see :func:`authenticated`."""
    found = await authenticated(form, authorization, svc, endpoint=endpoint, source=source)
    return found.client


async def authenticated(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    endpoint: str = TOKEN,
    source: str = attempts.UNKNOWN_SOURCE,
) -> Authenticated:
    """Authenticate the client of a back-channel request.

    Args:
        form: The form-encoded request body.
        authorization: The ``Authorization`` header, if any.
        svc: Services.
        endpoint: The path of the endpoint called (a client assertion may name its URL).
        source: The request's source address (what failed guesses are counted under).

    Raises:
        InvalidClient: authentication failed, or this source must wait after failed guesses
            (401 with ``WWW-Authenticate``, and ``Retry-After`` when waiting).
        InvalidRequest: more than one authentication method was used (RFC 6749 §2.3).
    """
    basic = parse_basic(authorization)
    if "client_assertion" in form or "client_assertion_type" in form:
        if basic is not None or "client_secret" in form:
            raise InvalidRequest("Use only one client authentication method (RFC 6749 §2.3)")
        assertion, client_id = client_assertion.claimed_client_id(form)
        client = await _guarded(
            client_id, source, svc, lambda: _by_assertion(assertion, client_id, svc, endpoint)
        )
        return Authenticated(client, client_assertion.METHOD)
    if basic is not None:
        if "client_secret" in form:
            raise InvalidRequest("Use only one client authentication method (RFC 6749 §2.3)")
        client_id, secret = basic
        if "client_id" in form and form["client_id"] != client_id:
            raise InvalidRequest("client_id does not match the authenticated client")
        method = "client_secret_basic"
        client = await _guarded(
            client_id, source, svc, lambda: _with_secret(client_id, secret, method, svc)
        )
        return Authenticated(client, method)
    form_id = form.get("client_id")
    form_secret = form.get("client_secret")
    if form_id and form_secret:
        method = "client_secret_post"
        client = await _guarded(
            form_id, source, svc, lambda: _with_secret(form_id, form_secret, method, svc)
        )
        return Authenticated(client, method)
    if svc.config.current.clientAuthenticationFiltersEnabled:
        return Authenticated(await _by_filters(form, svc), "clientAuthenticationFilters")
    if not form_id:
        raise InvalidClient("Client authentication failed: no client_id and no credentials")
    client = await _usable(form_id, svc)
    if PUBLIC_AUTH_METHOD not in _methods(client):
        raise InvalidClient(
            "Client authentication failed: this client must authenticate with "
            f"{client.metadata.token_endpoint_auth_method}"
        )
    return Authenticated(client, PUBLIC_AUTH_METHOD)
