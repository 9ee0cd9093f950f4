"""The federated sign-in of an interaction: send the browser upstream, take the answer back.

1. :func:`start`: a pending sign-in (state, nonce, PKCE verifier, the interaction) is stored
   under the hash of ``state`` and the browser goes to the upstream authorization endpoint.
2. :func:`callback`: the pending sign-in is taken (single use) and must belong to the same
   browser; the code is exchanged, the id_token checked (and userinfo read when configured),
   the claims mapped, and :func:`authgate.core.federation.linking.decide` says who signs in.
3. :func:`open_session`: a login session whose ``amr`` is ``fed`` (RFC 8176) and that names
   the provider (``idp:<alias>``, issued as the id_token's ``idp`` claim).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authgate.core import endpoints as paths
from authgate.core.authorize.interaction import SecondFactorRequired
from authgate.core.federation import first_factor, linking, upstream
from authgate.core.federation.errors import FederationFailed
from authgate.core.federation.mapping import MappingError, map_identity, with_posted_names
from authgate.core.federation.model import (
    IDP_PREFIX,
    NO_PASSWORD,
    FederatedIdentity,
    PendingSignIn,
    Provider,
    UpstreamIdentity,
    link_key,
    sealing_context,
)
from authgate.core.mfa import acr
from authgate.core.mfa import step as second_factor
from authgate.core.ports import Federation, SealingKeyUnavailable, Services
from authgate.core.security_events import EventKind, record
from authgate.core.types import Interaction, LoginSession, User
from authgate.crypto.handles import handle_hash, hash_matches, new_handle
from authgate.crypto.sealed import unseal
from authgate.errors import InteractionError, OutboundError

logger = logging.getLogger(__name__)
#: Seconds a pending upstream sign-in waits for the browser to come back.
PENDING_LIFETIME = 600
#: A sign-in through an upstream provider is one factor here (its own strength upstream is
#: not known): the single-factor context; ``amr`` says ``fed``.
FEDERATION_ACR = acr.PASSWORD_ACR
FED_AMR = "fed"


def federation(svc: Services) -> Federation:
    if svc.federation is None:
        raise FederationFailed("unknown_provider")
    return svc.federation


def redirect_uri(svc: Services, alias: str) -> str:
    """The callback URL the administrator registers at the upstream provider."""
    return svc.issuer + paths.FEDERATION_CALLBACK.format(alias=alias)


async def enabled_provider(alias: str, svc: Services) -> Provider:
    provider = await federation(svc).store.provider(alias)
    if provider is None or not provider.enabled:
        raise FederationFailed("unknown_provider")
    return provider


def client_secret(provider: Provider, fed: Federation) -> str | None:
    if provider.client_secret_sealed is None:  # no key needed (reading it may make one)
        return None
    try:
        key = fed.sealing_key
    except SealingKeyUnavailable as exc:
        raise FederationFailed("upstream_misconfigured", f"sealing key: {exc}") from None
    return open_client_secret(provider, key)


def open_client_secret(provider: Provider, key: str) -> str | None:
    """The provider's client secret, opened with ``key``; None if it has none or ``key`` is
    not the one it was sealed with."""
    if provider.client_secret_sealed is None:
        return None
    plain = unseal(key, sealing_context(provider.alias), provider.client_secret_sealed)
    return None if plain is None else plain.decode("utf-8")


def route(providers: list[Provider], hint: str | None, login_hint: str | None) -> Provider | None:
    """The provider chosen by ``kc_idp_hint`` (its alias), or by the domain of a
    ``login_hint`` email address in a provider's domain list; only enabled ones."""
    usable = [p for p in providers if p.enabled]
    if hint:
        return next((p for p in usable if p.alias == hint), None)
    if login_hint and "@" in login_hint:
        domain = login_hint.rsplit("@", 1)[1].strip().lower()
        return next((p for p in usable if domain in p.domains), None)
    return None


async def start(interaction: Interaction, provider: Provider, svc: Services) -> str:
    """Store the pending sign-in and return the upstream authorization URL."""
    fed = federation(svc)
    ends = await upstream.endpoints(provider, fed)
    state, nonce, verifier = new_handle(), new_handle(), new_handle() + new_handle()
    await fed.store.add_pending(
        PendingSignIn(
            key=handle_hash(state),
            alias=provider.alias,
            interaction_id=interaction.interaction_id,
            browser_hash=interaction.browser_hash,
            expires_at=svc.clock.now() + PENDING_LIFETIME,
            nonce=nonce,
            verifier=verifier,
        )
    )
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri(svc, provider.alias),
        "scope": " ".join(provider.scopes),
        "state": state,
        "code_challenge": upstream.s256(verifier),
        "code_challenge_method": "S256",
    }
    if provider.kind == "oidc":
        query["nonce"] = nonce
    if provider.response_mode == "form_post":
        query["response_mode"] = "form_post"
    sep = "&" if "?" in ends.authorization else "?"
    return ends.authorization + sep + urlencode(query)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Who the callback signs in (``user``), or the account to prove (``proof``)."""

    interaction: Interaction
    provider: Provider
    identity: UpstreamIdentity
    user: User | None = None
    proof: User | None = None


def _fail(
    svc: Services,
    code: str,
    source: str | None,
    alias: str,
    reason: str = "",
    interaction_id: str | None = None,
) -> FederationFailed:
    record(svc, EventKind.FEDERATION_FAILED, source=source, detail=f"{alias}: {code}")
    if reason:
        logger.info("federated sign-in through %s failed: %s (%s)", alias, code, reason)
    return FederationFailed(code, reason, interaction_id)


async def _client_auth(
    provider: Provider, token_endpoint: str, form: dict[str, str], svc: Services
) -> tuple[str, str] | None:
    fed = federation(svc)
    if provider.client_auth == "private_key_jwt":
        now = int(svc.clock.now())
        form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        form["client_assertion"] = svc.keys.sign(
            {
                "iss": provider.client_id,
                "sub": provider.client_id,
                "aud": token_endpoint,
                "jti": str(uuid.uuid4()),
                "iat": now,
                "exp": now + 60,
            }
        )
        return None
    secret = client_secret(provider, fed)
    if secret is None:
        raise FederationFailed("upstream_misconfigured", "the client secret does not unseal")
    if provider.client_auth == "client_secret_post":
        form["client_id"], form["client_secret"] = provider.client_id, secret
        return None
    return provider.client_id, secret


async def _claims(
    provider: Provider, pending: PendingSignIn, code: str, svc: Services
) -> dict[str, Any]:
    fed = federation(svc)
    ends = await upstream.endpoints(provider, fed)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(svc, provider.alias),
        "code_verifier": pending.verifier,
    }
    basic = await _client_auth(provider, ends.token, form, svc)
    try:
        status, body = await fed.http.post_form(ends.token, form, basic=basic)
    except OutboundError:
        raise FederationFailed("upstream_unreachable") from None
    if status != 200 or not isinstance(body, Mapping):
        raise FederationFailed("token_failed", f"token endpoint status {status}")
    access_token = body.get("access_token")
    claims: dict[str, Any] = {}
    if provider.kind == "oidc":
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise FederationFailed("bad_id_token")
        claims = await upstream.verify_id_token(
            id_token, provider, ends, fed, nonce=pending.nonce, now=svc.clock.now()
        )
    if provider.kind == "oauth2" or provider.use_userinfo:
        if not isinstance(access_token, str) or not ends.userinfo:
            raise FederationFailed("token_failed")
        try:
            status, info = await fed.http.get_json(ends.userinfo, bearer=access_token)
        except OutboundError:
            raise FederationFailed("upstream_unreachable") from None
        if status != 200 or not isinstance(info, Mapping):
            raise FederationFailed("token_failed")
        if claims and info.get("sub") not in (None, claims.get("sub")):
            raise FederationFailed("bad_id_token")  # OIDC Core §5.3.2: same subject
        claims = {**info, **{k: v for k, v in claims.items() if k in ("sub", "iss")}}
    return claims


def _username(identity: UpstreamIdentity, provider: Provider) -> str:
    base = identity.preferred_username or identity.email or f"{provider.alias}-{identity.subject}"
    return base[:200]


async def _provision(
    provider: Provider, identity: UpstreamIdentity, svc: Services, now: float
) -> User:
    fed = federation(svc)
    link = FederatedIdentity(provider.alias, identity.subject, "", now, now, identity.email)
    username = _username(identity, provider)
    for attempt in range(2):
        user = User(
            user_id=str(uuid.uuid4()),
            username=username,
            password_hash=NO_PASSWORD,
            email=identity.email,
            email_verified=identity.email_verified and provider.trust_email,
            name=identity.name,
            given_name=identity.given_name,
            family_name=identity.family_name,
            created_at=int(now),
        )
        if await fed.store.provision(user, dataclasses.replace(link, user_id=user.user_id)):
            return user
        raced = await fed.store.identity(provider.alias, identity.subject)
        found = await svc.users.get(raced.user_id) if raced else None
        if found is not None:  # a concurrent callback of the same identity provisioned it
            return found
        if attempt == 0:  # the username is taken: make it the provider's own
            username = f"{username}@{provider.alias}-{handle_hash(identity.subject)[:8]}"
    raise FederationFailed("no_account")


async def callback(
    alias: str,
    params: Mapping[str, str],
    browser_secret: str | None,
    svc: Services,
    *,
    source: str | None = None,
) -> Outcome:
    """Take the upstream's answer at the callback.

    Raises:
        FederationFailed: the sign-in fails (recorded as a ``federation_failed`` event).
        InteractionError: the authorization request it belongs to has expired.
    """
    fed = federation(svc)
    now = svc.clock.now()
    state = params.get("state")
    pending = await fed.store.take_pending(handle_hash(state), now) if state else None
    if (
        pending is None
        or pending.alias != alias
        or not browser_secret
        or not hash_matches(browser_secret, pending.browser_hash)
    ):
        raise _fail(svc, "state_invalid", source, alias)
    interaction = await svc.interactions.get(pending.interaction_id)
    if interaction is None or interaction.expires_at <= now:
        raise InteractionError("unknown or expired interaction")
    if "error" in params:
        code = "cancelled" if params["error"] == "access_denied" else "upstream_error"
        raise _fail(svc, code, source, alias, interaction_id=interaction.interaction_id)
    try:
        provider = await enabled_provider(alias, svc)
        ends = await upstream.endpoints(provider, fed)
        if provider.kind == "oidc" and (
            params.get("iss", provider.issuer) != provider.issuer
            or (ends.iss_parameter_required and "iss" not in params)
        ):
            raise FederationFailed("issuer_mismatch")  # RFC 9207 §2.4
        auth_code = params.get("code")
        if not auth_code:
            raise FederationFailed("upstream_error")
        claims = await _claims(provider, pending, auth_code, svc)
        try:
            identity = map_identity(claims, provider.mapping)
        except MappingError:
            raise FederationFailed("no_subject") from None
        if provider.response_mode == "form_post":  # Apple's names come beside the code
            identity = with_posted_names(identity, params.get("user"))
        link = await fed.store.identity(alias, identity.subject)
        linked = await svc.users.get(link.user_id) if link else None
        same = await fed.store.user_by_email(identity.email) if identity.email else None
        decision = linking.decide(provider, identity, linked, same)
        if isinstance(decision, linking.Refuse):
            raise FederationFailed(decision.reason)
    except FederationFailed as exc:
        ix_id = interaction.interaction_id
        raise _fail(svc, exc.code, source, alias, exc.reason, ix_id) from None
    if isinstance(decision, linking.NeedProof):
        await fed.store.take_pending(link_key(interaction.interaction_id), now)  # an earlier one
        await fed.store.add_pending(
            PendingSignIn(
                key=link_key(interaction.interaction_id),
                alias=alias,
                interaction_id=interaction.interaction_id,
                browser_hash=interaction.browser_hash,
                expires_at=now + PENDING_LIFETIME,
                subject=identity.subject,
                user_id=decision.user.user_id,
                email=identity.email or "",
            )
        )
        return Outcome(interaction, provider, identity, proof=decision.user)
    if isinstance(decision, linking.Provision):
        user = await _provision(provider, identity, svc, now)
    else:
        user = decision.user
        if decision.link:
            await fed.store.link(
                FederatedIdentity(alias, identity.subject, user.user_id, now, now, identity.email)
            )
            record(
                svc,
                EventKind.FEDERATION_LINKED,
                source=source,
                user_id=user.user_id,
                detail=f"{alias}: verified email",
            )
        else:
            await fed.store.touch(alias, identity.subject, now)
    record(svc, EventKind.FEDERATION_SIGNED_IN, source=source, user_id=user.user_id, detail=alias)
    return Outcome(interaction, provider, identity, user=user)


async def open_session(
    interaction: Interaction,
    user: User,
    alias: str,
    svc: Services,
    *,
    user_agent: str = "",
) -> tuple[Interaction, LoginSession, str]:
    """A login session for ``user`` signed in through ``alias``: the interaction updated,
    the session and the session cookie value (as the password
    :func:`authgate.core.authorize.interaction.login`).

    Raises:
        SecondFactorRequired: the user has a second factor, or the request or policy needs
            one: no session is opened; the second-factor step completes the sign-in, and its
            session says ``fed`` and the provider too (:mod:`.first_factor`).
    """
    if await second_factor.needs_second_factor(user.user_id, interaction.request, svc):
        waiting = dataclasses.replace(
            interaction, user_id=user.user_id, session_hash=None, login_done=True
        )
        await svc.interactions.replace(waiting)
        await first_factor.remember(waiting, user.user_id, alias, svc)
        raise SecondFactorRequired(waiting)
    now = int(svc.clock.now())
    cookie_value = new_handle()
    session = LoginSession(
        session_hash=handle_hash(cookie_value),
        sid=str(uuid.uuid4()),
        user_id=user.user_id,
        auth_time=now,
        expires_at=now + svc.config.current.sessionIdLifetime,
        acr=FEDERATION_ACR,
        amr=(FED_AMR, IDP_PREFIX + alias),
        user_agent=user_agent,
        last_used_at=now,
    )
    await svc.sessions.add(session)
    updated = dataclasses.replace(
        interaction, user_id=user.user_id, session_hash=session.session_hash, login_done=True
    )
    await svc.interactions.replace(updated)
    return updated, session, cookie_value


async def pending_link(interaction: Interaction, svc: Services) -> PendingSignIn | None:
    """The upstream identity waiting for this interaction's local sign-in (left in place)."""
    if svc.federation is None:
        return None
    key = link_key(interaction.interaction_id)
    return await svc.federation.store.peek_pending(key, svc.clock.now())


async def complete_link(
    interaction: Interaction, session: LoginSession, svc: Services, *, source: str | None
) -> LoginSession:
    """After a password sign-in: link the upstream identity waiting for this interaction if
    the account signed in is the one it claimed."""
    await link_after_password(interaction, session.user_id, svc, source=source)
    return session


async def link_after_password(
    interaction: Interaction, user_id: str | None, svc: Services, *, source: str | None
) -> None:
    """The password of ``user_id`` was checked in this interaction: link the upstream
    identity waiting for it, if it claimed that account. (When a second factor follows, every
    later sign-in through the provider asks for that factor too.)"""
    if svc.federation is None or user_id is None:
        return
    store = svc.federation.store
    now = svc.clock.now()
    pending = await store.take_pending(link_key(interaction.interaction_id), now)
    if pending is None or pending.user_id != user_id:
        return
    identity = FederatedIdentity(
        pending.alias, pending.subject, user_id, now, now, pending.email or None
    )
    if await store.link(identity):
        record(
            svc,
            EventKind.FEDERATION_LINKED,
            source=source,
            user_id=user_id,
            detail=f"{pending.alias}: password proof",
        )


async def unlink_own(
    svc: Services, user_id: str, alias: str, subject: str, *, source: str | None
) -> bool:
    """The user removes one of their own links (the account page); False when it is not
    theirs or does not exist."""
    if svc.federation is None:
        return False
    if not await svc.federation.store.unlink(alias, subject, user_id=user_id):
        return False
    record(svc, EventKind.FEDERATION_UNLINKED, source=source, user_id=user_id, detail=alias)
    return True


__all__ = ["callback", "complete_link", "open_session", "route", "start"]
