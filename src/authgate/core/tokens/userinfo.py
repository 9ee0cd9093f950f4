"""The UserInfo endpoint (OIDC Core §5.3) and bearer token validation (RFC 6750).

A client registered with ``userinfo_signed_response_alg`` gets its claims as a JWT signed
with the server's key for that algorithm, with ``iss`` and ``aud`` added (§5.3.2), and one
registered with ``userinfo_encrypted_response_alg`` gets them encrypted to its key (the
signed JWT, or the JSON claims); other clients get JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from authgate.core.authorize import claims_request
from authgate.core.ports import Services
from authgate.core.tokens import encryption
from authgate.core.tokens.signing import sign
from authgate.core.tokens.subject import subject
from authgate.core.types import TokenRecord, User
from authgate.crypto.handles import handle_hash
from authgate.errors import InsufficientScope, InvalidToken

#: Standard scope -> claims (OIDC Core §5.4), used when the scope store has no claim list.
STANDARD_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "preferred_username", "updated_at"),
    "email": ("email", "email_verified"),
}


async def active_access_token(value: str | None, svc: Services) -> TokenRecord:
    """The stored record of a usable access token.

    Raises:
        InvalidToken: missing, unknown, expired, revoked, or not an access token.
    """
    if not value:
        raise InvalidToken("The request carries no access token")
    record = await svc.grants.get_token(handle_hash(value))
    if (
        record is None
        or record.kind != "access_token"
        or record.revoked_at is not None
        or record.expires_at <= svc.clock.now()
    ):
        raise InvalidToken("The access token is invalid, expired or revoked")
    return record


def _user_claims(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "preferred_username": user.username,
        "updated_at": user.created_at or None,
        "email": user.email,
        "email_verified": user.email_verified if user.email else None,
    }


async def released_claims(user: User, scope: Iterable[str], svc: Services) -> dict[str, Any]:
    """The user's claims that these scopes release (OIDC Core §5.4), without ``sub``."""
    known = {s.scope_id: s.claims for s in await svc.scopes.all()}
    released: set[str] = set()
    for name in scope:
        released.update(known.get(name) or STANDARD_CLAIMS.get(name, ()))
    values = _user_claims(user)
    return {claim: values[claim] for claim in sorted(released) if values.get(claim) is not None}


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A UserInfo response: the claims, and their JWT form if the client asked for one."""

    claims: dict[str, Any]
    #: ``application/jwt``: a compact JWS of the claims with ``iss`` and ``aud``, that JWS
    #: encrypted, or the claims encrypted as JSON (OIDC Core §5.3.2); None: plain JSON.
    jwt: str | None = None


async def userinfo(record: TokenRecord, svc: Services) -> UserInfo:
    """The claims the token's scopes release about its user, less those the grant's
    ``claims`` parameter asked for under ``userinfo`` with values the user's do not match
    (OIDC Core §5.5.1), signed if the client registered ``userinfo_signed_response_alg``,
    then encrypted if it registered ``userinfo_encrypted_response_alg``.

    ``record`` comes from :func:`active_access_token`, after the caller has checked how the
    token was presented (:func:`authgate.core.tokens.binding.verify_binding`).

    Raises:
        InsufficientScope: the token was not issued with ``openid``.
        InvalidToken: its user or client is gone or disabled.
        ServerError: no active key for the client's algorithm.
        InvalidRequest: the client asked for encryption and its key cannot be had.
    """
    if "openid" not in record.scope or record.user_id is None:
        raise InsufficientScope("The access token was not issued with the openid scope")
    user = await svc.users.get(record.user_id)
    client = await svc.clients.get(record.client_id)
    if (
        user is None
        or not user.enabled
        or client is None
        or client.disabled
        or client.expired(svc.clock.now())
    ):
        raise InvalidToken("The access token's user or client no longer exists or is disabled")
    body: dict[str, Any] = {"sub": subject(user.user_id, client, svc.config.current)}
    released = await released_claims(user, record.scope, svc)
    body |= claims_request.restricted(record.claims, "userinfo", released)
    alg = client.metadata.userinfo_signed_response_alg
    sealer = await encryption.sealer_for(client, svc, "userinfo")
    if alg is None:
        return UserInfo(body, sealer.seal(orjson.dumps(body), nested=False) if sealer else None)
    claims = {**body, "iss": svc.issuer, "aud": client.client_id}
    signed = sign(svc, claims, typ="jwt", alg=alg)
    return UserInfo(body, sealer.seal(signed, nested=True) if sealer else signed)
