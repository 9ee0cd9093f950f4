"""Authorization request checks added for browser-grade security: PAR required (RFC 9126 §5)
and ``dpop_jkt`` (RFC 9449 §10). They run after the redirect URI is trusted, so their errors
are redirected to the client like every other check of that stage."""

from __future__ import annotations

import re
from collections.abc import Mapping

from authgate.appconfig import AppConfiguration
from authgate.core.types import Client
from authgate.errors import InvalidRequest

#: An RFC 7638 SHA-256 JWK thumbprint, base64url without padding.
JKT_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def check_pushed(client: Client, config: AppConfiguration, *, pushed: bool) -> None:
    """Refuse a request that was not pushed when PAR is required for this client.

    Raises:
        InvalidRequest: ``requirePar`` or the client's ``require_par`` and no request_uri.
    """
    if not pushed and (config.requirePar or client.metadata.require_par):
        who = "this server" if config.requirePar else "this client"
        raise InvalidRequest(
            f"{who} requires pushed authorization requests: push the request to the PAR "
            "endpoint and send its request_uri (RFC 9126 §5)"
        )


def dpop_jkt(params: Mapping[str, str], config: AppConfiguration) -> str | None:
    """The ``dpop_jkt`` the code is to be bound to, if any.

    Raises:
        InvalidRequest: malformed, or missing while ``dpopJktForceForAuthorizationCode``.
    """
    value = params.get("dpop_jkt")
    if value is None:
        if config.dpopJktForceForAuthorizationCode:
            raise InvalidRequest("dpop_jkt is required by this server (RFC 9449 §10)")
        return None
    if not JKT_PATTERN.fullmatch(value):
        raise InvalidRequest("dpop_jkt must be a base64url SHA-256 JWK thumbprint (RFC 7638)")
    return value
