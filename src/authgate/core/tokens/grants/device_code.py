"""The device_code grant (RFC 8628 §3.4-3.5): the device polls until the user answered.

The answer to each poll comes from :mod:`authgate.core.device.polling`. Tokens are minted as
for an authorization code (an id_token when ``openid`` was granted, a refresh token when the
client may have one), for the user who approved, with that user's sign-in time and method.
Redemption is atomic (:meth:`~authgate.core.ports.DeviceAuthorizationStore.redeem`): of
concurrent polls of an approved request exactly one receives tokens; the device's tokens
belong to no browser session (no ``sid``), so signing out in the browser that approved does
not revoke them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.appconfig import DEVICE_CODE_GRANT
from authgate.core.device import polling
from authgate.core.device.polling import Verdict
from authgate.core.ports import Services
from authgate.core.tokens import encryption
from authgate.core.tokens.dpop import Proof
from authgate.core.tokens.mint import GrantContext, mint, refresh_allowed, response, sign_id_token
from authgate.core.types import Client
from authgate.crypto.handles import handle_hash, new_grant_id
from authgate.errors import (
    AuthorizationPending,
    DeviceAccessDenied,
    ExpiredToken,
    InvalidGrant,
    InvalidRequest,
    SlowDown,
)

GRANT_TYPE = DEVICE_CODE_GRANT
_UNKNOWN = "The device code is invalid or was issued to another client"
_USED = "The device code has already been used"


async def exchange(
    form: Mapping[str, str],
    client: Client,
    svc: Services,
    *,
    dpop: Proof | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Answer one poll of the device (``source`` is unused: the user's denial is recorded
    when it is given, on the verification page)."""
    value = form.get("device_code")
    if not value:
        raise InvalidRequest("The request is missing the device_code parameter")
    device_code_hash = handle_hash(value)
    request = await svc.devices.get(device_code_hash)
    now = svc.clock.now()
    verdict = polling.verdict(request, client.client_id, now)
    if verdict is Verdict.UNKNOWN:
        raise InvalidGrant(_UNKNOWN)
    assert request is not None
    if verdict is Verdict.ISSUED:
        raise InvalidGrant(_USED)
    if verdict is Verdict.EXPIRED:
        raise ExpiredToken("The device code has expired: start a new device authorization")
    if verdict is Verdict.DENIED:
        raise DeviceAccessDenied("The user denied the device authorization request")
    if verdict is Verdict.PENDING:
        if await svc.devices.poll(device_code_hash, now, increase=polling.SLOW_DOWN_INCREMENT):
            raise AuthorizationPending("The user has not yet answered the request")
        raise SlowDown(
            f"Polling too fast: wait at least {request.interval + polling.SLOW_DOWN_INCREMENT} "
            "seconds between token requests"
        )
    assert request.user_id is not None
    ctx = GrantContext(
        grant_id=new_grant_id(),
        client=client,
        user_id=request.user_id,
        scope=request.scope,
        auth_time=request.auth_time,
        sid=None,
        acr=request.acr,
        amr=request.amr,
        jkt=dpop.jkt if dpop else None,
        refresh_jkt=dpop.jkt if dpop and client.metadata.is_public else None,
        id_token_sealer=(
            await encryption.sealer_for(client, svc, "id_token")
            if "openid" in request.scope
            else None
        ),
    )
    minted = mint(ctx, svc, now, refresh=refresh_allowed(client, request.scope, svc))
    if not await svc.devices.redeem(device_code_hash, now, minted.records):
        raise InvalidGrant(_USED)
    id_token = None
    if "openid" in request.scope:
        id_token = sign_id_token(ctx, svc, now, grant=GRANT_TYPE, access_token=minted.access_token)
    return response(minted, svc, id_token=id_token, scope=request.scope)
