"""Issuing the authorization response: code, access token and/or id_token by response type.

OIDC Core §3.1.2.5 (code), §3.2.2.5 (implicit), §3.3.2.5 (hybrid). Everything one response
issues belongs to one grant: a front-channel access token is stored like a token-endpoint
one (hashed, in the token store, under the grant id of the code), so userinfo and
revocation work on it and a replayed code revokes it too. The authorization endpoint never
issues a refresh token (RFC 6749 §4.2.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from authgate.core.authorize import claims_request, jarm, response_types
from authgate.core.authorize.jarm import ResponseSigning
from authgate.core.authorize.response_types import CODE, ID_TOKEN, TOKEN
from authgate.core.ports import Services
from authgate.core.tokens import encryption
from authgate.core.tokens.mint import GrantContext, mint, requested_id_token_claims, sign_id_token
from authgate.core.tokens.userinfo import released_claims
from authgate.core.types import AuthorizationCode, AuthorizationRequest, Client, LoginSession
from authgate.crypto.handles import handle_hash, new_grant_id, new_handle
from authgate.errors import InvalidRequest


@dataclass(frozen=True, slots=True)
class AuthorizationResponse:
    """Parameters to deliver to the client's redirect URI (RFC 6749 §4.1.2, §4.2.2)."""

    redirect_uri: str
    params: dict[str, str]
    response_mode: str = "query"
    #: For a JARM response mode: who the signed response is for, and its algorithm.
    signing: ResponseSigning | None = None


def _code_record(
    code: str,
    grant_id: str,
    request: AuthorizationRequest,
    session: LoginSession,
    now: float,
    svc: Services,
) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=handle_hash(code),
        grant_id=grant_id,
        client_id=request.client_id,
        user_id=session.user_id,
        redirect_uri=request.redirect_uri,
        redirect_uri_given=request.redirect_uri_given,
        scope=request.scope,
        issued_at=now,
        expires_at=now + svc.config.current.authorizationCodeLifetime,
        auth_time=session.auth_time,
        sid=session.sid,
        acr=session.acr,
        amr=session.amr,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        code_challenge_method=request.code_challenge_method,
        dpop_jkt=request.dpop_jkt,
        resource=request.resource,
        claims=request.claims,
        authorization_details=request.authorization_details,
    )


async def _user_claims_for_id_token(
    ctx: GrantContext, parts: frozenset[str], svc: Services
) -> dict[str, Any] | None:
    """OIDC Core §5.4: with no access token to call userinfo with, scope claims go in the
    id_token; otherwise those the ``claims`` parameter asks for there (§5.5)."""
    if TOKEN in parts or CODE in parts:
        return await requested_id_token_claims(ctx, svc)
    user = await svc.users.get(ctx.user_id)
    if user is None:
        return None
    released = await released_claims(user, ctx.scope, svc)
    return claims_request.restricted(ctx.claims, "id_token", released)


async def issue(
    request: AuthorizationRequest, session: LoginSession, client: Client, svc: Services
) -> AuthorizationResponse:
    """Mint what ``request.response_type`` asks for, store it, and shape the response.

    The code is bound to client, redirect URI, PKCE challenge and session; an id_token
    carries ``c_hash``/``at_hash``/``s_hash`` for the code, access token and state issued
    with it, plus ``nonce``, ``auth_time`` and ``sid``.

    Raises:
        InvalidRequest: the response type is malformed (validation should have caught it).
    """
    parts = response_types.parse(request.response_type)
    if parts is None:
        raise InvalidRequest(f"response_type '{request.response_type}' is not supported")
    now = svc.clock.now()
    ctx = GrantContext(
        grant_id=new_grant_id(),
        client=client,
        user_id=session.user_id,
        scope=request.scope,
        auth_time=session.auth_time,
        sid=session.sid,
        acr=session.acr,
        amr=session.amr,
        audience=request.resource,
        resources=request.resource,
        claims=request.claims,
        authorization_details=request.authorization_details,
        id_token_sealer=(
            await encryption.sealer_for(client, svc, "id_token") if ID_TOKEN in parts else None
        ),
    )
    params: dict[str, str] = {}
    code = new_handle() if CODE in parts else None
    access_token = None
    records = []
    if code is not None:
        params["code"] = code
    if TOKEN in parts:
        minted = mint(ctx, svc, now, refresh=False)
        access_token, records = minted.access_token, minted.records
        params["access_token"] = access_token
        params["token_type"] = "Bearer"  # noqa: S105 - RFC 6750 token type
        params["expires_in"] = str(max(0, math.floor(minted.access_expires_at - now)))
    if code is not None:
        await svc.grants.add_code(
            _code_record(code, ctx.grant_id, request, session, now, svc), records
        )
    else:
        await svc.grants.add_tokens(records)
    if ID_TOKEN in parts:
        params["id_token"] = sign_id_token(
            ctx,
            svc,
            now,
            grant="authorization_code" if code is not None else "implicit",
            access_token=access_token,
            nonce=request.nonce,
            code=code,
            state=request.state,
            user_claims=await _user_claims_for_id_token(ctx, parts, svc),
        )
    params["scope"] = " ".join(request.scope)
    if request.state is not None:
        params["state"] = request.state
    signing = jarm.signing_for(
        request.response_mode,
        request.client_id,
        request.response_signing_alg,
        request.response_encryption,
    )
    return AuthorizationResponse(request.redirect_uri, params, request.response_mode, signing)
