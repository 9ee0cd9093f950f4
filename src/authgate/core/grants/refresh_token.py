"""The refresh_token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

Every refresh returns a new refresh token and invalidates the presented one. Presenting a
refresh token that was already used revokes the whole grant (the attacker and the victim
both lose it, which is the point). The new refresh token keeps the original absolute expiry.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from authgate.core.ports import Services
from authgate.core.tokens import GrantContext, mint, response, sign_id_token
from authgate.core.types import Client
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidGrant, InvalidRequest, InvalidScope

GRANT_TYPE = "refresh_token"
logger = logging.getLogger(__name__)


async def exchange(form: Mapping[str, str], client: Client, svc: Services) -> dict[str, Any]:
    """Trade a refresh token for a new access token and a new refresh token."""
    value = form.get("refresh_token")
    if not value:
        raise InvalidRequest("The request is missing the refresh_token parameter")
    token_hash = handle_hash(value)
    record = await svc.grants.get_token(token_hash)
    now = svc.clock.now()
    if record is None or record.kind != "refresh_token" or record.client_id != client.client_id:
        raise InvalidGrant("The refresh token is invalid or was issued to another client")
    if record.revoked_at is not None:
        raise InvalidGrant("The refresh token has been revoked")
    if record.used_at is not None:
        revoked = await svc.grants.revoke_grant(record.grant_id, now)
        logger.warning(
            "refresh token reuse for client %s; revoked %d token(s)", client.client_id, revoked
        )
        raise InvalidGrant("The refresh token was already used; the grant has been revoked")
    if now >= record.expires_at:
        raise InvalidGrant("The refresh token has expired")
    scope = record.scope
    if "scope" in form:
        asked = tuple(dict.fromkeys(s for s in form["scope"].split(" ") if s))
        if not set(asked) <= set(record.scope):
            raise InvalidScope("The requested scope exceeds the scope originally granted")
        scope = asked
    user = await svc.users.get(record.user_id) if record.user_id else None
    if record.user_id and (user is None or not user.enabled):
        raise InvalidGrant("The user of this grant no longer exists or is disabled")
    ctx = GrantContext(
        grant_id=record.grant_id,
        client=client,
        user_id=record.user_id or "",
        scope=scope,
        auth_time=record.auth_time,
        sid=record.sid,
        acr=record.acr,
        amr=record.amr,
    )
    minted = mint(ctx, svc, now, refresh=True, refresh_expires_at=record.expires_at)
    # The new refresh token carries the original scope so a later refresh may widen back.
    records = [
        r if r.kind == "access_token" else dataclasses.replace(r, scope=record.scope)
        for r in minted.records
    ]
    if not await svc.grants.rotate_refresh_token(token_hash, now, records):
        revoked = await svc.grants.revoke_grant(record.grant_id, now)
        logger.warning(
            "concurrent refresh token reuse for client %s; revoked %d", client.client_id, revoked
        )
        raise InvalidGrant("The refresh token was already used; the grant has been revoked")
    id_token = None
    if "openid" in scope:
        id_token = sign_id_token(ctx, svc, now, grant=GRANT_TYPE, access_token=minted.access_token)
    return response(minted, svc, id_token=id_token, scope=scope if "scope" in form else None)
