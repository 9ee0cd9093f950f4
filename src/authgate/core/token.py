"""The token endpoint (RFC 6749 §3.2): shared checks, then dispatch on ``grant_type``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from authgate.core import client_auth
from authgate.core.grants import authorization_code, client_credentials, refresh_token
from authgate.core.ports import Services
from authgate.core.types import Client
from authgate.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType

Grant = Callable[[Mapping[str, str], Client, Services], Awaitable[dict[str, Any]]]

GRANTS: dict[str, Grant] = {
    authorization_code.GRANT_TYPE: authorization_code.exchange,
    refresh_token.GRANT_TYPE: refresh_token.exchange,
    client_credentials.GRANT_TYPE: client_credentials.exchange,
}


async def token(
    form: Mapping[str, str], authorization: str | None, svc: Services
) -> dict[str, Any]:
    """Handle a token request; returns the JSON response body.

    Raises:
        OAuthError: in the token endpoint's error format (RFC 6749 §5.2).
    """
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequest("The request is missing the grant_type parameter")
    client = await client_auth.authenticate(form, authorization, svc)
    grant = GRANTS.get(grant_type)
    if grant is None or grant_type not in svc.config.current.grantTypesSupported:
        raise UnsupportedGrantType(f"grant_type '{grant_type}' is not supported")
    if grant_type not in client.metadata.grant_types:
        raise UnauthorizedClient(f"The client is not registered for the {grant_type} grant")
    return await grant(form, client, svc)
