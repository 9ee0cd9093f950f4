"""Minting access and refresh tokens and shaping the token response (RFC 6749 §5.1)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import claims_request
from authgate.core.ports import Services
from authgate.core.tokens.encryption import Sealer
from authgate.core.tokens.id_token import id_token_claims
from authgate.core.tokens.jwt_access import ACCESS_TOKEN_TYP, jwt_access_token_claims
from authgate.core.tokens.signing import sign
from authgate.core.tokens.subject import subject
from authgate.core.tokens.userinfo import released_claims
from authgate.core.types import Client, TokenRecord
from authgate.crypto.handles import handle_hash, new_handle

OFFLINE_ACCESS = "offline_access"


@dataclass(frozen=True, slots=True)
class GrantContext:
    """Who and what a set of tokens is for."""

    grant_id: str
    client: Client
    user_id: str
    scope: tuple[str, ...]
    auth_time: int | None
    sid: str | None
    acr: str | None
    amr: tuple[str, ...] = ()
    #: DPoP key (RFC 7638 thumbprint) the access token is bound to (RFC 9449 §5).
    jkt: str | None = None
    #: DPoP key the refresh token is bound to: public clients only (RFC 9449 §5).
    refresh_jkt: str | None = None
    #: The access token's audience when it is not the client: resources (RFC 8707) or
    #: exchange audiences (RFC 8693).
    audience: tuple[str, ...] = ()
    #: The resources the grant authorized, kept with its refresh token (RFC 8707 §2.2).
    resources: tuple[str, ...] = ()
    #: The actor chain of a delegated token (RFC 8693 §4.1).
    act: Mapping[str, Any] | None = None
    #: No access token outlives this (an exchanged token, its subject token's expiry).
    not_after: float | None = None
    #: The request's ``claims`` parameter (OIDC Core §5.5), normalised JSON, kept with the
    #: tokens for userinfo and later id_tokens.
    claims: str | None = None
    #: The grant's ``authorization_details`` (RFC 9396), normalised JSON, kept with the tokens.
    authorization_details: str | None = None
    #: Some of them, when the token request narrowed them (§6.1): the access token issued now
    #: carries these, its refresh token still every detail of the grant.
    narrowed_details: str | None = None
    #: Encrypts the id_token to the client's key (OIDC Core §10.2); None: signed only. Found
    #: (:func:`authgate.core.tokens.encryption.sealer_for`) before anything is stored, so
    #: that a client whose key cannot be had loses no code or token to a failed response.
    id_token_sealer: Sealer | None = None

    @property
    def access_details(self) -> str | None:
        """The ``authorization_details`` of the access token issued now."""
        if self.narrowed_details is not None:
            return self.narrowed_details
        return self.authorization_details


@dataclass(slots=True)
class MintedTokens:
    """Plaintext token values (returned once) and the records to store."""

    access_token: str
    access_expires_at: float
    records: list[TokenRecord] = field(default_factory=list)
    refresh_token: str | None = None
    token_type: str = "Bearer"  # noqa: S105 - RFC 6749 §7.1 token type


def _access_token_value(ctx: GrantContext, svc: Services, now: float, lifetime: int) -> str:
    meta = ctx.client.metadata
    if not meta.access_token_as_jwt:
        return new_handle()
    config = svc.config.current
    claims = jwt_access_token_claims(
        issuer=svc.issuer,
        client_id=ctx.client.client_id,
        sub=subject(ctx.user_id, ctx.client, config) if ctx.user_id else ctx.client.client_id,
        scope=ctx.scope,
        now=int(now),
        lifetime=lifetime,
        auth_time=ctx.auth_time,
        acr=ctx.acr,
        amr=ctx.amr,
        jkt=ctx.jkt,
        additional_audience=meta.additional_audience,
        audience=ctx.audience,
        act=ctx.act,
        authorization_details=json.loads(ctx.access_details) if ctx.access_details else None,
    )
    return sign(svc, claims, typ=ACCESS_TOKEN_TYP, alg=meta.access_token_signing_alg)


def refresh_allowed(client: Client, scope: tuple[str, ...], svc: Services) -> bool:
    """The client has the refresh_token grant and, if the server insists, offline_access was
    granted (docs/janssen-compatibility.md §6.5)."""
    if "refresh_token" not in client.metadata.grant_types:
        return False
    config = svc.config.current
    return not config.forceOfflineAccessScopeToEnableRefreshToken or OFFLINE_ACCESS in scope


def refresh_expiry(grant_expires_at: float, now: float, config: AppConfiguration) -> float:
    """When a refresh token issued or used now expires: the grant's absolute expiry, or
    earlier under ``refreshTokenIdleLifetime`` (RFC 9700 §4.14.2, "expire after inactivity")."""
    idle = config.refreshTokenIdleLifetime
    return min(grant_expires_at, now + idle) if idle > 0 else grant_expires_at


def mint(
    ctx: GrantContext,
    svc: Services,
    now: float,
    *,
    refresh: bool,
    refresh_grant_expires_at: float | None = None,
) -> MintedTokens:
    """New access token (and refresh token) values and their storage records.

    Args:
        refresh_grant_expires_at: The grant's absolute refresh expiry when continuing a grant
            (refresh token rotation); a new grant gets now + ``refreshTokenLifetime``.
    """
    config = svc.config.current
    lifetime = ctx.client.metadata.access_token_lifetime or config.accessTokenLifetime
    if ctx.not_after is not None:
        lifetime = max(0, min(lifetime, math.floor(ctx.not_after - now)))
    common = {
        "grant_id": ctx.grant_id,
        "client_id": ctx.client.client_id,
        "user_id": ctx.user_id,
        "scope": ctx.scope,
        "issued_at": now,
        "auth_time": ctx.auth_time,
        "sid": ctx.sid,
        "acr": ctx.acr,
        "amr": ctx.amr,
        "claims": ctx.claims,
    }
    access = _access_token_value(ctx, svc, now, lifetime)
    minted = MintedTokens(
        access_token=access,
        access_expires_at=now + lifetime,
        token_type="DPoP" if ctx.jkt else "Bearer",
    )
    minted.records.append(
        TokenRecord(
            token_hash=handle_hash(access),
            kind="access_token",
            expires_at=now + lifetime,
            jkt=ctx.jkt,
            audience=ctx.audience,
            act=ctx.act,
            authorization_details=ctx.access_details,
            **common,  # type: ignore[arg-type]
        )
    )
    if refresh:
        value = new_handle()
        absolute = refresh_grant_expires_at or now + config.refreshTokenLifetime
        minted.refresh_token = value
        minted.records.append(
            TokenRecord(
                token_hash=handle_hash(value),
                kind="refresh_token",
                expires_at=refresh_expiry(absolute, now, config),
                grant_expires_at=absolute,
                jkt=ctx.refresh_jkt,
                audience=ctx.resources,
                authorization_details=ctx.authorization_details,
                **common,  # type: ignore[arg-type]
            )
        )
    return minted


async def requested_id_token_claims(ctx: GrantContext, svc: Services) -> dict[str, Any] | None:
    """The user claims the grant's ``claims`` parameter asks to put in the id_token, among
    those its scopes release (:mod:`authgate.core.authorize.claims_request`)."""
    if not ctx.claims or not ctx.user_id:
        return None
    user = await svc.users.get(ctx.user_id)
    if user is None:
        return None
    released = await released_claims(user, ctx.scope, svc)
    return claims_request.select(ctx.claims, "id_token", released)


def sign_id_token(
    ctx: GrantContext,
    svc: Services,
    now: float,
    *,
    grant: str,
    access_token: str | None = None,
    nonce: str | None = None,
    code: str | None = None,
    state: str | None = None,
    user_claims: Mapping[str, Any] | None = None,
) -> str:
    """A signed id_token for the grant's user (OIDC Core §3.1.3.3, §3.2.2.10, §3.3.2.11),
    encrypted with the context's ``id_token_sealer`` if the client asked for that (§10.2).

    ``code``, ``access_token`` and ``state`` are the values issued alongside it, hashed
    into ``c_hash``, ``at_hash`` and ``s_hash``.
    """
    config = svc.config.current
    claims = id_token_claims(
        issuer=svc.issuer,
        client_id=ctx.client.client_id,
        sub=subject(ctx.user_id, ctx.client, config),
        now=int(now),
        lifetime=config.idTokenLifetime,
        auth_time=ctx.auth_time,
        sid=ctx.sid,
        acr=ctx.acr,
        amr=ctx.amr,
        grant=grant,
        version=config.jansOpenIdConnectVersion,
        nonce=nonce,
        code=code,
        access_token=access_token,
        state=state,
        additional_audience=ctx.client.metadata.additional_audience,
        user_claims=user_claims,
    )
    signed = sign(svc, claims, typ="jwt", alg=ctx.client.metadata.id_token_signed_response_alg)
    sealer = ctx.id_token_sealer
    return signed if sealer is None else sealer.seal(signed, nested=True)


def response(
    minted: MintedTokens,
    svc: Services,
    *,
    id_token: str | None,
    scope: tuple[str, ...] | None,
    authorization_details: str | None = None,
) -> dict[str, Any]:
    """The token response; ``expires_in`` is the whole seconds left now (299 for 300 s), and
    the grant's ``authorization_details`` when it has some (RFC 9396 §7)."""
    body: dict[str, Any] = {
        "access_token": minted.access_token,
        "token_type": minted.token_type,
        "expires_in": max(0, math.floor(minted.access_expires_at - svc.clock.now())),
    }
    if minted.refresh_token is not None:
        body["refresh_token"] = minted.refresh_token
    if scope is not None:
        body["scope"] = " ".join(scope)
    if id_token is not None:
        body["id_token"] = id_token
    if authorization_details is not None:
        body["authorization_details"] = json.loads(authorization_details)
    return body
