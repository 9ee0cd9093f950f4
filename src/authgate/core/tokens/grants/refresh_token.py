"""The refresh_token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

Rotation: public clients always get a new refresh token and the presented one becomes used;
confidential clients too unless ``rotateRefreshTokensForConfidentialClients`` is off, in
which case they keep theirs. Presenting a used refresh token revokes the whole grant (the
attacker and the victim both lose it, which is the point), except within
``refreshTokenReuseGracePeriod`` seconds of the rotation: then the request is taken for a
retry of the same refresh (a lost response, two tabs refreshing at once) and gets the same
new token pair.

Grace window mechanism: the successors' plaintext values are sealed (AES-GCM) under a key
derived from the presented token's own value and stored on the used token's row, in the
transaction that marks it used (:mod:`authgate.crypto.sealed`). The database keeps only
SHA-256 of tokens, from which that key cannot be derived, so a database reader learns
nothing; only a client presenting the old token can open the box, and only until the
window ends (the box is then ignored and purged). Of concurrent refreshes with one token,
one wins the single-use update; the others read the box it wrote and answer with the same
pair.

Resources (RFC 8707 §2.2): the refresh token keeps the resources the grant authorized; a
``resource`` narrows the new access token's audience to some of them and never widens it.

Lifetimes: ``refreshTokenLifetime`` is the grant's absolute limit (rotation keeps it), and
``refreshTokenIdleLifetime`` optionally expires a refresh token left unused.

Sender-constrained refresh tokens: a refresh token bound to a DPoP key (a public client's,
RFC 9449 §5) needs a proof from that key and is not rotated; RFC 9700 §4.14.2 accepts sender
constraint instead of rotation, so the client keeps using it and its idle expiry moves.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import orjson

from authgate.core import resources, security_events
from authgate.core.authorize import authorization_details
from authgate.core.ports import Services
from authgate.core.security_events import EventKind
from authgate.core.tokens import encryption
from authgate.core.tokens.dpop import Proof
from authgate.core.tokens.mint import (
    GrantContext,
    MintedTokens,
    mint,
    refresh_expiry,
    requested_id_token_claims,
    response,
    sign_id_token,
)
from authgate.core.types import Client, TokenRecord
from authgate.crypto.handles import handle_hash
from authgate.crypto.sealed import seal, unseal
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
    form: Mapping[str, str],
    client: Client,
    svc: Services,
    *,
    dpop: Proof | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Trade a refresh token for a new access token (and, when rotating, refresh token).

    A reused refresh token (outside the grace window) is recorded as a
    ``refresh_token_reused`` security event from ``source``.

    Raises:
        InvalidGrant: unknown, foreign, revoked, expired, reused or wrongly bound token.
        InvalidScope: the requested scope exceeds the one originally granted.
    """
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
        return await _reused(value, record, form, client, svc, now, source)
    if now >= record.expires_at:
        raise InvalidGrant("The refresh token has expired")
    scope = _scope(form, record)
    audience = resources.narrowed(form, record.audience, client, svc.config.current)
    narrowed = authorization_details.narrowed(form, record.authorization_details)
    if record.user_id:
        user = await svc.users.get(record.user_id)
        if user is None or not user.enabled:
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
        claims=record.claims,
        authorization_details=record.authorization_details,
        narrowed_details=narrowed,
        jkt=dpop.jkt if dpop else None,
        refresh_jkt=dpop.jkt if dpop and client.metadata.is_public else None,
        audience=audience,
        resources=record.audience,
        id_token_sealer=await _id_token_sealer(client, scope, svc),
    )
    sender_constrained = record.jkt is not None and client.metadata.is_public
    rotate = (
        client.metadata.is_public or svc.config.current.rotateRefreshTokensForConfidentialClients
    )
    if rotate and not sender_constrained:
        return await _rotate(value, record, ctx, form, svc, now, source)
    return await _respond(await _extend(record, ctx, svc, now), ctx, form, svc, now)


async def _id_token_sealer(
    client: Client, scope: tuple[str, ...], svc: Services
) -> encryption.Sealer | None:
    """How to encrypt the id_token a refresh returns, found before the tokens are stored."""
    return await encryption.sealer_for(client, svc, "id_token") if "openid" in scope else None


def _scope(form: Mapping[str, str], record: TokenRecord) -> tuple[str, ...]:
    """The requested scope, which may narrow but not widen the grant's (RFC 6749 §6)."""
    if "scope" not in form:
        return record.scope
    asked = tuple(dict.fromkeys(s for s in form["scope"].split(" ") if s))
    if not set(asked) <= set(record.scope):
        raise InvalidScope("The requested scope exceeds the scope originally granted")
    return asked


def _grant_expires_at(record: TokenRecord) -> float:
    return record.grant_expires_at or record.expires_at


async def _rotate(
    value: str,
    record: TokenRecord,
    ctx: GrantContext,
    form: Mapping[str, str],
    svc: Services,
    now: float,
    source: str | None,
) -> dict[str, Any]:
    """Issue successors and mark the presented token used, with the sealed successors."""
    minted = mint(ctx, svc, now, refresh=True, refresh_grant_expires_at=_grant_expires_at(record))
    # The new refresh token carries the original scope so a later refresh may widen back.
    records = [
        r if r.kind == "access_token" else dataclasses.replace(r, scope=record.scope)
        for r in minted.records
    ]
    sealed = _seal(value, record.token_hash, minted, ctx)
    if await svc.grants.rotate_refresh_token(record.token_hash, now, records, sealed):
        return await _respond(minted, ctx, form, svc, now)
    # Another request used this token between our read and our write: a concurrent retry.
    current = await svc.grants.get_token(record.token_hash)
    if current is None or current.used_at is None:
        raise InvalidGrant("The refresh token is no longer valid")
    return await _reused(value, current, form, ctx.client, svc, now, source)


async def _extend(
    record: TokenRecord, ctx: GrantContext, svc: Services, now: float
) -> MintedTokens:
    """No rotation: a new access token; the refresh token stays and its idle expiry moves."""
    minted = mint(ctx, svc, now, refresh=False)
    expires = refresh_expiry(_grant_expires_at(record), now, svc.config.current)
    if not await svc.grants.extend_refresh_token(record.token_hash, now, expires, minted.records):
        raise InvalidGrant("The refresh token is no longer valid")
    return minted


async def _reused(
    value: str,
    record: TokenRecord,
    form: Mapping[str, str],
    client: Client,
    svc: Services,
    now: float,
    source: str | None,
) -> dict[str, Any]:
    """A used refresh token again: the same answer inside the grace window, else revocation."""
    assert record.used_at is not None
    grace = svc.config.current.refreshTokenReuseGracePeriod
    if record.revoked_at is None and record.successor and now < record.used_at + grace:
        replay = await _open(value, record, svc)
        if replay is not None:
            minted, scope, narrowed = replay
            ctx = GrantContext(
                grant_id=record.grant_id,
                client=client,
                user_id=record.user_id or "",
                scope=scope,
                auth_time=record.auth_time,
                sid=record.sid,
                acr=record.acr,
                amr=record.amr,
                claims=record.claims,
                authorization_details=record.authorization_details,
                narrowed_details=narrowed,
                id_token_sealer=await _id_token_sealer(client, scope, svc),
            )
            logger.info("refresh token retried within the grace window by %s", client.client_id)
            return await _respond(minted, ctx, form, svc, now)
    revoked = await svc.grants.revoke_grant(record.grant_id, now)
    logger.warning(
        "refresh token reuse for client %s; revoked %d token(s)", client.client_id, revoked
    )
    security_events.record(
        svc,
        EventKind.REFRESH_TOKEN_REUSED,
        source=source,
        client_id=client.client_id,
        user_id=record.user_id,
        detail="used refresh token presented again; its grant is revoked",
    )
    raise InvalidGrant("The refresh token was already used; the grant has been revoked")


def _seal(value: str, token_hash: str, minted: MintedTokens, ctx: GrantContext) -> str:
    payload = {
        "access_token": minted.access_token,
        "access_expires_at": minted.access_expires_at,
        "refresh_token": minted.refresh_token,
        "token_type": minted.token_type,
        "scope": list(ctx.scope),
        "narrowed_details": ctx.narrowed_details,
    }
    return seal(value, token_hash, orjson.dumps(payload))


async def _open(
    value: str, record: TokenRecord, svc: Services
) -> tuple[MintedTokens, tuple[str, ...], str | None] | None:
    """The successors sealed on ``record``, if they open and are not revoked since, with
    their scope and narrowed ``authorization_details``."""
    assert record.successor is not None
    plain = unseal(value, record.token_hash, record.successor)
    if plain is None:
        return None
    data = orjson.loads(plain)
    minted = MintedTokens(
        access_token=data["access_token"],
        access_expires_at=data["access_expires_at"],
        refresh_token=data["refresh_token"],
        token_type=data.get("token_type", "Bearer"),
    )
    check = minted.refresh_token or minted.access_token
    successor = await svc.grants.get_token(handle_hash(check))
    if successor is None or successor.revoked_at is not None:
        return None
    return minted, tuple(data["scope"]), data.get("narrowed_details")


async def _respond(
    minted: MintedTokens,
    ctx: GrantContext,
    form: Mapping[str, str],
    svc: Services,
    now: float,
) -> dict[str, Any]:
    """The token response; ``scope`` only when the request carried one
    (docs/janssen-compatibility.md §6.6)."""
    id_token = None
    if "openid" in ctx.scope:
        id_token = sign_id_token(
            ctx,
            svc,
            now,
            grant=GRANT_TYPE,
            access_token=minted.access_token,
            user_claims=await requested_id_token_claims(ctx, svc),
        )
    scope = ctx.scope if "scope" in form else None
    return response(
        minted,
        svc,
        id_token=id_token,
        scope=scope,
        authorization_details=ctx.access_details,
    )
