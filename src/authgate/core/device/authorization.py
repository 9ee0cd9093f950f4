"""The device authorization endpoint (RFC 8628 §3.1-3.2).

The client authenticates as at the token endpoint (public clients name themselves with
``client_id``), must be registered for the device_code grant, which must be enabled on the
server; ``scope`` is a subset of the client's registered scopes (all of them when absent).
The answer carries a fresh device code (an opaque handle, stored as its hash) and user code
(:mod:`.user_codes`), the verification URIs, the lifetime and the polling interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from authgate.appconfig import DEVICE_CODE_GRANT
from authgate.core import profile
from authgate.core.clients import authentication as client_auth
from authgate.core.device import user_codes
from authgate.core.endpoints import EndpointUrls
from authgate.core.ports import Services
from authgate.core.protection.attempts import UNKNOWN_SOURCE
from authgate.core.tokens.grants.client_credentials import granted_scope
from authgate.core.types import DeviceAuthorization
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import InvalidAuthorizationDetails, ServerError, UnauthorizedClient

#: Draws of a user code before giving up (a collision with a live code is already rare).
_DRAWS = 8


async def device_authorization(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    source: str = UNKNOWN_SOURCE,
) -> dict[str, Any]:
    """Handle a device authorization request; returns the JSON response body.

    Raises:
        OAuthError: in the token endpoint's error format (RFC 8628 §3.2, RFC 6749 §5.2).
    """
    client = await client_auth.authenticate(form, authorization, svc, source=source)
    config = svc.config.current
    if not profile.grant_type_allowed(DEVICE_CODE_GRANT, config):
        raise UnauthorizedClient("The device authorization grant is not enabled on this server")
    if DEVICE_CODE_GRANT not in client.metadata.grant_types:
        raise UnauthorizedClient(f"The client is not registered for the {DEVICE_CODE_GRANT} grant")
    if "authorization_details" in form:
        # the device's user sees the scopes only: details asked for here would not be shown,
        # so they are refused rather than left out of the grant unseen (RFC 9396)
        raise InvalidAuthorizationDetails(
            "authorization_details is not accepted at the device authorization endpoint"
        )
    scope = granted_scope(form, client)
    now = svc.clock.now()
    device_code = new_handle()
    for _ in range(_DRAWS):
        user_code = user_codes.new_user_code()
        request = DeviceAuthorization(
            device_code_hash=handle_hash(device_code),
            user_code_hash=user_codes.user_code_hash(user_code, config),
            client_id=client.client_id,
            scope=scope,
            issued_at=now,
            expires_at=now + config.deviceAuthzRequestExpiresIn,
            interval=config.deviceAuthzTokenPollInterval,
        )
        if await svc.devices.add(request):
            break
    else:
        raise ServerError("Could not draw an unused user code; try again")
    shown = user_codes.display(user_code)
    verification_uri = EndpointUrls(svc.issuer).device_verification_uri
    return {
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": verification_uri,
        "verification_uri_complete": f"{verification_uri}?{urlencode({'user_code': shown})}",
        "expires_in": config.deviceAuthzRequestExpiresIn,
        "interval": config.deviceAuthzTokenPollInterval,
    }
