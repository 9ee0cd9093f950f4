"""The token exchange grant (RFC 8693): a token for another audience, for the same subject.

What is supported (docs/resources.md, "Token exchange"):

- ``subject_token_type``: ``access_token`` and ``refresh_token`` issued by this server, and
  ``id_token`` signed by it while the login session it names is live;
  ``actor_token_type``: ``access_token`` and ``id_token``;
- ``requested_token_type``: ``access_token`` only (the default); the response says so in
  ``issued_token_type``; no refresh token is issued (§2.2.1);
- ``audience`` and ``resource`` (both may repeat): the issued token's audience, each one in
  the requesting client's ``token_exchange_audiences``; at least one is required;
- ``scope``: a subset of the subject token's (an id_token's is ``openid``) that the client
  is registered for; by default, every such scope;
- delegation: with an actor token the issued token carries ``act`` naming the actor, nested
  over the subject token's own ``act`` (§4.1), at most ``tokenExchangeMaxActorDepth`` deep.
  Without one (impersonation) the subject token's ``act``, if any, is kept.

Who may exchange: a confidential client with the grant and a non-empty
``token_exchange_audiences`` (otherwise ``unauthorized_client``). A subject or actor token
must be meant for the requesting client: issued to it, or with its client_id in the token's
audience (``additional_audience`` of the token's client, or an earlier exchange's
``audience``); a refresh token only by its own client.

A rotated refresh token presented by its own client after ``refreshTokenReuseGracePeriod``
revokes its grant, as a reuse at the refresh grant does (RFC 9700 §4.14.2).

Errors: a subject or actor token that is unknown, expired, revoked, rotated or not meant for
the client is ``invalid_grant``, like every other grant's credential (RFC 6749 §5.2; RFC 8693
§2.2.2 names ``invalid_request`` for it, which authgate keeps for malformed requests and
unsupported token types); an audience or resource outside the client's list is
``invalid_target``; a scope beyond the subject token's is ``invalid_scope``. Every refusal
is recorded as a ``token_exchange_refused`` security event.

The issued access token never outlives its subject token, belongs to the subject token's
grant (revoking that grant revokes it too) and is bound to a DPoP key if the request
carried a proof.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authgate.appconfig_resources import TOKEN_EXCHANGE
from authgate.core import params, resources, security_events
from authgate.core.ports import Services
from authgate.core.security_events import EventKind
from authgate.core.tokens.dpop import Proof
from authgate.core.tokens.mint import GrantContext, mint, response
from authgate.core.tokens.subject import subject
from authgate.core.types import Client, TokenRecord
from authgate.crypto.handles import handle_hash, new_grant_id
from authgate.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    OAuthError,
    UnauthorizedClient,
)

GRANT_TYPE = TOKEN_EXCHANGE
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a URN
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"  # noqa: S105 - a URN
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105 - a URN
SUBJECT_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, REFRESH_TOKEN_TYPE, ID_TOKEN_TYPE)
ACTOR_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE)
ISSUED_TOKEN_TYPES = (ACCESS_TOKEN_TYPE,)


@dataclass(frozen=True, slots=True)
class Party:
    """Who a presented subject or actor token stands for."""

    #: The user, or None for a client's own token (client_credentials).
    user_id: str | None
    #: The client the token was issued to.
    client_id: str
    scope: tuple[str, ...]
    expires_at: float
    grant_id: str | None = None
    auth_time: int | None = None
    sid: str | None = None
    acr: str | None = None
    amr: tuple[str, ...] = ()
    act: Mapping[str, Any] | None = None


async def exchange(
    form: Mapping[str, str],
    client: Client,
    svc: Services,
    *,
    dpop: Proof | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Exchange a subject token (and optionally an actor token) for an access token.

    Every refusal is recorded as a ``token_exchange_refused`` security event from ``source``
    (its detail names the error code, never a token).

    Raises:
        UnauthorizedClient, InvalidRequest, InvalidGrant, InvalidTarget, InvalidScope: see
            the module's description.
    """
    try:
        return await _exchange(form, client, svc, dpop)
    except OAuthError as exc:
        security_events.record(
            svc,
            EventKind.TOKEN_EXCHANGE_REFUSED,
            source=source,
            client_id=client.client_id,
            detail=f"token exchange refused: {exc.error}",
        )
        raise


async def _exchange(
    form: Mapping[str, str], client: Client, svc: Services, dpop: Proof | None
) -> dict[str, Any]:
    meta = client.metadata
    if not meta.is_confidential:
        raise UnauthorizedClient("Token exchange is only for confidential clients")
    if not meta.token_exchange_audiences:
        raise UnauthorizedClient(
            "The client may not exchange tokens: it has no token_exchange_audiences"
        )
    requested_type = form.get("requested_token_type", ACCESS_TOKEN_TYPE)
    if requested_type not in ISSUED_TOKEN_TYPES:
        raise InvalidRequest(
            f"requested_token_type is not supported: only {ACCESS_TOKEN_TYPE} is issued"
        )
    subject_token, subject_type = _token_params(form, "subject_token", SUBJECT_TOKEN_TYPES)
    if subject_token is None or subject_type is None:
        raise InvalidRequest("The request is missing the subject_token parameter")
    actor_token, actor_type = _token_params(form, "actor_token", ACTOR_TOKEN_TYPES)
    audience = _targets(form, client)

    now = svc.clock.now()
    subject_party = await _party(subject_token, subject_type, client, svc, now, "subject")
    if subject_party.user_id is None:
        raise InvalidRequest("The subject_token must represent a user")
    user = await svc.users.get(subject_party.user_id)
    if user is None or not user.enabled:
        raise InvalidGrant("The user of the subject_token no longer exists or is disabled")
    scope = _scope(form, subject_party.scope, client)
    act = subject_party.act
    if actor_token is not None and actor_type is not None:
        actor = await _party(actor_token, actor_type, client, svc, now, "actor")
        act = _nested(actor, client, subject_party.act, svc)
    ctx = GrantContext(
        grant_id=subject_party.grant_id or new_grant_id(),
        client=client,
        user_id=subject_party.user_id,
        scope=scope,
        auth_time=subject_party.auth_time,
        sid=subject_party.sid,
        acr=subject_party.acr,
        amr=subject_party.amr,
        jkt=dpop.jkt if dpop else None,
        audience=audience,
        act=act,
        not_after=subject_party.expires_at,
    )
    minted = mint(ctx, svc, now, refresh=False)
    await svc.grants.add_tokens(minted.records)
    body = response(minted, svc, id_token=None, scope=scope)
    return {"access_token": body.pop("access_token"), "issued_token_type": requested_type} | body


def _token_params(
    form: Mapping[str, str], name: str, types: tuple[str, ...]
) -> tuple[str | None, str | None]:
    """A token parameter and its ``*_type`` (§2.1): both or neither, of a supported type."""
    value, kind = form.get(name), form.get(f"{name}_type")
    if value is None and kind is None:
        return None, None
    if value is None or kind is None:
        raise InvalidRequest(f"{name} and {name}_type go together")
    if kind not in types:
        raise InvalidRequest(f"{name}_type is not supported here: use one of {list(types)}")
    return value, kind


def _targets(form: Mapping[str, str], client: Client) -> tuple[str, ...]:
    """The issued token's audience: the ``audience`` and ``resource`` values (§2.1), each
    permitted to the client."""
    audiences = params.values(form, "audience")
    named = tuple(dict.fromkeys((*audiences, *resources.requested(form))))
    if not named:
        raise InvalidRequest("Name the token's target with audience or resource")
    if not set(named) <= set(client.metadata.token_exchange_audiences):
        raise InvalidTarget("The client may not exchange tokens for this audience or resource")
    return named


def _scope(form: Mapping[str, str], granted: tuple[str, ...], client: Client) -> tuple[str, ...]:
    """The requested scope, within the subject token's and the client's registered scope;
    by default, every scope of the subject token the client is registered for."""
    registered = set(client.metadata.scope)
    if "scope" not in form:
        kept = tuple(s for s in granted if s in registered)
        if not kept:
            raise InvalidScope("The client is registered for none of the subject_token's scopes")
        return kept
    asked = tuple(dict.fromkeys(s for s in form["scope"].split(" ") if s))
    if not asked:
        raise InvalidScope("The scope parameter is empty")
    if not set(asked) <= set(granted):
        raise InvalidScope("The requested scope exceeds the scope of the subject_token")
    if not set(asked) <= registered:
        raise InvalidScope("The client is not registered for the requested scope")
    return asked


async def _party(
    value: str, kind: str, client: Client, svc: Services, now: float, role: str
) -> Party:
    if kind == ID_TOKEN_TYPE:
        return await _id_token_party(value, client, svc, now, role)
    record = await svc.grants.get_token(handle_hash(value))
    wanted = "refresh_token" if kind == REFRESH_TOKEN_TYPE else "access_token"
    if record is not None and record.kind == wanted == "refresh_token":
        await _check_reuse(record, client, svc, now)
    if (
        record is None
        or record.kind != wanted
        or record.revoked_at is not None
        or record.used_at is not None
        or now >= record.expires_at
    ):
        raise InvalidGrant(f"The {role}_token is invalid, expired or revoked")
    owner = await svc.clients.get(record.client_id)
    if owner is None or owner.disabled or owner.expired(now):
        raise InvalidGrant(f"The {role}_token's client no longer exists or is disabled")
    if not _meant_for(client, owner, record):
        raise InvalidGrant(f"The {role}_token is not meant for this client")
    return Party(
        user_id=record.user_id,
        client_id=record.client_id,
        scope=record.scope,
        expires_at=record.expires_at,
        grant_id=record.grant_id,
        auth_time=record.auth_time,
        sid=record.sid,
        acr=record.acr,
        amr=record.amr,
        act=record.act,
    )


async def _check_reuse(record: TokenRecord, client: Client, svc: Services, now: float) -> None:
    """A rotated refresh token presented by its own client after the reuse grace window is a
    reuse, as at the refresh grant (RFC 9700 §4.14.2): its grant is revoked, and the exchange
    refused. Within the window it is only refused."""
    if record.used_at is None or record.revoked_at is not None:
        return
    grace = svc.config.current.refreshTokenReuseGracePeriod
    if record.client_id != client.client_id or now < record.used_at + grace:
        return
    await svc.grants.revoke_grant(record.grant_id, now)
    raise InvalidGrant("The refresh token was already used; the grant has been revoked")


def _meant_for(client: Client, owner: Client, record: TokenRecord) -> bool:
    """Issued to ``client``, or (an access token) with ``client`` in its audience."""
    if record.client_id == client.client_id:
        return True
    if record.kind != "access_token":
        return False  # a refresh token is its client's credential (RFC 6749 §6)
    if record.audience:
        return client.client_id in record.audience
    return client.client_id in owner.metadata.additional_audience


async def _id_token_party(
    value: str, client: Client, svc: Services, now: float, role: str
) -> Party:
    """An id_token this server signed, unexpired, naming the client among its audiences,
    whose login session is still live (so logout ends its use)."""
    invalid = InvalidGrant(f"The {role}_token is not a valid id_token for this client")
    try:
        claims = svc.keys.verify(value)
    except ValueError:
        raise invalid from None
    exp, sid, sub = claims.get("exp"), claims.get("sid"), claims.get("sub")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    owner_id = claims.get("azp") or (audiences[0] if len(audiences) == 1 else None)
    if (
        claims.get("iss") != svc.issuer
        or not isinstance(exp, int | float)
        or now >= exp
        or not isinstance(sid, str)
        or not isinstance(sub, str)
        or not isinstance(owner_id, str)
        or client.client_id not in audiences
    ):
        raise invalid
    session = await svc.sessions.by_sid(sid)
    owner = await svc.clients.get(owner_id)
    if session is None or session.expires_at <= now or owner is None:
        raise InvalidGrant(f"The {role}_token's login session has ended")
    if subject(session.user_id, owner, svc.config.current) != sub:
        raise invalid
    return Party(
        user_id=session.user_id,
        client_id=owner_id,
        scope=("openid",),
        expires_at=float(exp),
        auth_time=session.auth_time,
        sid=sid,
        acr=session.acr,
        amr=session.amr,
    )


def _depth(act: Mapping[str, Any] | None) -> int:
    depth = 0
    while isinstance(act, Mapping):
        depth += 1
        act = act.get("act")
    return depth


def _nested(
    actor: Party, client: Client, prior: Mapping[str, Any] | None, svc: Services
) -> dict[str, Any]:
    """The ``act`` claim naming ``actor``, over the subject token's own (RFC 8693 §4.1)."""
    config = svc.config.current
    sub = subject(actor.user_id, client, config) if actor.user_id else actor.client_id
    act: dict[str, Any] = {"sub": sub, "client_id": actor.client_id}
    if prior is not None:
        act["act"] = dict(prior)
    if _depth(act) > config.tokenExchangeMaxActorDepth:
        raise InvalidRequest(
            "The delegation chain is too deep (tokenExchangeMaxActorDepth): "
            f"at most {config.tokenExchangeMaxActorDepth} actors"
        )
    return act
