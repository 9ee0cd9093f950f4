"""Resource indicators (RFC 8707): which protected resources a client may ask tokens for.

A ``resource`` value names the resource server a token is meant for: an absolute URI without
a fragment (RFC 8707 §2). A client may name several (the parameter repeats); the access
token's audience is then exactly those resources (``aud`` of a JWT access token and of the
introspection response), instead of the client itself.

Which resources a client may name: its ``allowed_resources`` (client metadata), or, when it
has none, the server-wide ``defaultResourceIndicators`` of the configuration document. Both
empty: no resource at all. Anything else is ``invalid_target``.

At the token endpoint a ``resource`` narrows: the access token's audience is the requested
subset of what the grant authorized (the resources of the authorization request, kept with
the code and the refresh tokens). A grant authorized without any resource authorizes the
client's allowed list. A refresh may narrow again but never widen (RFC 8707 §2.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from authgate.appconfig import AppConfiguration
from authgate.appconfig_resources import uri_problem
from authgate.core import params
from authgate.core.types import Client
from authgate.errors import InvalidTarget

RESOURCE = "resource"


def allowed(client: Client, config: AppConfiguration) -> tuple[str, ...]:
    """The resources ``client`` may name: its own list, else the server's default list."""
    return client.metadata.allowed_resources or tuple(config.defaultResourceIndicators)


def requested(form: Mapping[str, str]) -> tuple[str, ...]:
    """The request's ``resource`` values, each checked for form.

    Raises:
        InvalidTarget: a value that is not an absolute URI without fragment (§2).
    """
    values = params.values(form, RESOURCE)
    for value in values:
        problem = uri_problem(value)
        if problem is not None:
            raise InvalidTarget(f"The resource parameter {problem} (RFC 8707 §2)")
    return values


def check_allowed(values: tuple[str, ...], permitted: Iterable[str]) -> tuple[str, ...]:
    """``values`` if every one is in ``permitted``.

    Raises:
        InvalidTarget: naming no value (the client may not even learn which are known).
    """
    if not set(values) <= set(permitted):
        raise InvalidTarget("The requested resource is not allowed for this client (RFC 8707 §2)")
    return values


def at_authorization(
    form: Mapping[str, str], client: Client, config: AppConfiguration
) -> tuple[str, ...]:
    """The resources of an authorization (or client credentials) request: well formed and
    allowed for the client.

    Raises:
        InvalidTarget: a malformed or disallowed resource.
    """
    return check_allowed(requested(form), allowed(client, config))


def narrowed(
    form: Mapping[str, str],
    authorized: tuple[str, ...],
    client: Client,
    config: AppConfiguration,
) -> tuple[str, ...]:
    """The audience of an access token issued from a grant that authorized ``authorized``:
    the requested resources, a subset of it (or of the client's allowed list when it is
    empty); without a request, ``authorized`` itself.

    Every resource must also still be allowed for the client: one an administrator has
    since removed from its list is no longer issued, even for an existing grant.

    Raises:
        InvalidTarget: a malformed resource, one outside what the grant authorized, or one
            no longer allowed for the client.
    """
    permitted = allowed(client, config)
    asked = requested(form)
    if not asked:
        return check_allowed(authorized, permitted)
    if authorized and not set(asked) <= set(authorized):
        raise InvalidTarget(
            "The requested resource was not authorized for this grant (RFC 8707 §2.2)"
        )
    return check_allowed(asked, permitted)
