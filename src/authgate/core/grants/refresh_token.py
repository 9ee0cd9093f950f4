"""The refresh_token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

A refresh returns a new refresh token and invalidates the presented one. Presenting a
refresh token that was already used revokes the whole grant (the attacker and the victim
both lose it, which is the point). The new refresh token keeps the original absolute expiry.

A refresh token bound to a DPoP key (a public client's, RFC 9449 §5) needs a proof from that
key, and is not rotated: it is sender-constrained, which RFC 9700 §4.14.2 accepts instead of
rotation, so the response carries no new refresh token and the client keeps using it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from authgate.core.dpop import Proof
from authgate.core.ports import Services
from authgate.core.tokens import GrantContext, mint, response, sign_id_token
from authgate.core.types import Client, TokenRecord
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidGrant, InvalidRequest, InvalidScope

GRANT_TYPE = "refresh_token"
logger = logging.getLogger(__name__)


def _check_binding(record: TokenRecord, dpop: Proof | None) -> None:
    if record.jkt is not None and (dpop is None or dpop.jkt != record.jkt):
        raise InvalidGrant(
            "The refresh token is bound to a DPoP key: the request needs a DPoP proof signed "
            "with that key (RFC 9449 §5)"
        )


async def exchange(
    form: Mapping[str, str], client: Client, svc: Services, *, dpop: Proof | None = None
) -> dict[str, Any]:
    """Trade a refresh token for a new access token (and a new refresh token unless bound)."""
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
    _check_binding(record, dpop)
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
        jkt=dpop.jkt if dpop else None,
        refresh_jkt=dpop.jkt if dpop and client.metadata.is_public else None,
    )
    if record.jkt is not None and client.metadata.is_public:
        shown = scope if "scope" in form else None
        return await _refresh_without_rotation(ctx, token_hash, scope, shown, svc, now)
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


async def _refresh_without_rotation(
    ctx: GrantContext,
    token_hash: str,
    scope: tuple[str, ...],
    shown: tuple[str, ...] | None,
    svc: Services,
    now: float,
) -> dict[str, Any]:
    """A new access token from a DPoP-bound refresh token that stays valid (RFC 9449 §5)."""
    minted = mint(ctx, svc, now, refresh=False)
    if not await svc.grants.add_tokens_with_refresh(token_hash, now, minted.records):
        raise InvalidGrant("The refresh token has been revoked")
    id_token = None
    if "openid" in scope:
        id_token = sign_id_token(ctx, svc, now, grant=GRANT_TYPE, access_token=minted.access_token)
    return response(minted, svc, id_token=id_token, scope=shown)
