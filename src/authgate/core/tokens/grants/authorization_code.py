"""The authorization_code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5-4.6).

Checks, in order: code present; code known, issued to this client and unexpired; a code
already redeemed is a replay: every token minted from it is revoked (RFC 6749 §4.1.2,
RFC 9700 §4.2.4); redirect_uri equal to the one used at authorize (Janssen never
compares); PKCE; a code bound to a DPoP key with ``dpop_jkt`` (RFC 9449 §10) needs a proof
from that key; a ``resource`` must be among those the code authorized (RFC 8707 §2.2,
:mod:`authgate.core.resources`). A failed check does not consume the code. Redemption is atomic: of
concurrent requests for one code exactly one gets tokens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from authgate.core import resources, security_events
from authgate.core.authorize import authorization_details, pkce
from authgate.core.ports import OVERLAPPED, Services
from authgate.core.security_events import EventKind
from authgate.core.tokens import encryption
from authgate.core.tokens.dpop import Proof
from authgate.core.tokens.mint import (
    GrantContext,
    mint,
    refresh_allowed,
    requested_id_token_claims,
    response,
    sign_id_token,
)
from authgate.core.types import AuthorizationCode, Client
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidGrant, InvalidRequest, OAuthError

GRANT_TYPE = "authorization_code"
logger = logging.getLogger(__name__)


REPLAYED = "authorization code presented again; the tokens issued with it are revoked"


def _replayed(code: AuthorizationCode, svc: Services, source: str | None) -> InvalidGrant:
    security_events.record(
        svc,
        EventKind.CODE_REPLAYED,
        source=source,
        client_id=code.client_id,
        user_id=code.user_id,
        detail=REPLAYED,
    )
    return InvalidGrant(
        "The authorization code has already been used; tokens issued with it are revoked"
    )


async def _checked(
    code: AuthorizationCode | None,
    form: Mapping[str, str],
    client: Client,
    svc: Services,
    now: float,
    dpop: Proof | None,
    source: str | None,
) -> tuple[str, ...]:
    """The module docstring's checks of ``code`` for this request; the audience of the
    tokens (RFC 8707)."""
    if code is None or code.client_id != client.client_id:
        raise InvalidGrant("The authorization code is invalid or was issued to another client")
    if code.consumed_at is not None:
        revoked = await svc.grants.revoke_grant(code.grant_id, now)
        logger.warning(
            "authorization code replay for client %s; revoked %d token(s)",
            client.client_id,
            revoked,
        )
        raise _replayed(code, svc, source)
    if now >= code.expires_at:
        raise InvalidGrant("The authorization code has expired")
    redirect_uri = form.get("redirect_uri")
    if redirect_uri is None:
        if code.redirect_uri_given:
            raise InvalidRequest("redirect_uri is required: the authorization request included one")
    elif redirect_uri != code.redirect_uri:
        raise InvalidGrant("redirect_uri does not match the one used in the authorization request")
    pkce.verify(form.get("code_verifier"), code.code_challenge, code.code_challenge_method)
    if code.dpop_jkt is not None and (dpop is None or dpop.jkt != code.dpop_jkt):
        raise InvalidGrant(
            "The authorization code is bound to a DPoP key (dpop_jkt): the token request "
            "needs a DPoP proof signed with that key (RFC 9449 §10)"
        )
    return resources.narrowed(form, code.resource, client, svc.config.current)


async def exchange(
    form: Mapping[str, str],
    client: Client,
    svc: Services,
    *,
    dpop: Proof | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Redeem a code for tokens, bound to ``dpop``'s key when the request carried a proof.

    A replayed code is recorded as a ``code_replayed`` security event from ``source``.
    """
    value = form.get("code")
    if not value:
        raise InvalidRequest("The request is missing the code parameter")
    code_hash = handle_hash(value)
    now = svc.clock.now()
    code = await svc.grants.get_code(code_hash)
    try:
        audience = await _checked(code, form, client, svc, now, dpop, source)
    except OAuthError:
        if code is None or code.consumed_at is not None:
            raise
        # The store may answer from the copy it kept when it issued the code, which cannot
        # know whether another process has redeemed it since: a failed check is decided again
        # on the stored code (the copy is handed out once), so that a replay is a replay.
        code = await svc.grants.get_code(code_hash)
        audience = await _checked(code, form, client, svc, now, dpop, source)
    assert code is not None
    narrowed = authorization_details.narrowed(form, code.authorization_details)
    ctx = GrantContext(
        grant_id=code.grant_id,
        client=client,
        user_id=code.user_id,
        scope=code.scope,
        auth_time=code.auth_time,
        sid=code.sid,
        acr=code.acr,
        amr=code.amr,
        claims=code.claims,
        authorization_details=code.authorization_details,
        narrowed_details=narrowed,
        jkt=dpop.jkt if dpop else None,
        refresh_jkt=dpop.jkt if dpop and client.metadata.is_public else None,
        audience=audience,
        resources=code.resource,
        id_token_sealer=(
            await encryption.sealer_for(client, svc, "id_token") if "openid" in code.scope else None
        ),
    )
    minted = mint(ctx, svc, now, refresh=refresh_allowed(client, code.scope, svc))
    # The id_token is signed while the redemption's commit is made durable (the disk's flush
    # and the signature overlap); it leaves only if the code was redeemed.
    overlapped = OVERLAPPED.set("openid" in code.scope)
    try:  # the task takes a copy of the context as it is now
        redeeming = asyncio.ensure_future(svc.grants.redeem_code(code_hash, now, minted.records))
    finally:
        OVERLAPPED.reset(overlapped)
    id_token = None
    try:
        if "openid" in code.scope:
            user_claims = await requested_id_token_claims(ctx, svc)
            # Two turns of the event loop: in the first the redemption queues its unit and
            # the database schedules the batch, in the second the batch is committed and
            # handed to the disk. Then the signature runs while the disk flushes.
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            id_token = sign_id_token(
                ctx,
                svc,
                now,
                grant=GRANT_TYPE,
                access_token=minted.access_token,
                nonce=code.nonce,
                code=value,
                user_claims=user_claims,
            )
    finally:
        redeemed = await redeeming
    if not redeemed:
        await svc.grants.revoke_grant(code.grant_id, now)
        raise _replayed(code, svc, source)
    scope = code.scope if "scope" in form else None
    return response(
        minted,
        svc,
        id_token=id_token,
        scope=scope,
        authorization_details=ctx.access_details,
    )
