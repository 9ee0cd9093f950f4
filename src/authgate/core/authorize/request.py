"""The authorization endpoint (RFC 6749 §4.1.1, §4.2.1, OIDC Core §3.1.2, §3.2.2, §3.3.2):
validate, decide; :mod:`authgate.core.authorize.response` issues.

Validation runs in two stages. Until the client and its redirect URI are verified, errors are
plain :class:`OAuthError` (shown on an error page, never redirected: RFC 9700 §4.11.2). After
that, errors are :class:`RedirectError` and go back to the client with ``state`` and ``iss``,
unless the client was registered dynamically and the signed-in user has not approved it
(:mod:`authgate.core.authorize.error_redirect`): then they too are shown on the error page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from authgate.core.account.client import is_first_party
from authgate.core.authorize import (
    error_redirect,
    jarm,
    redirect_uris,
    request_object,
    request_uri,
    response_types,
    steps,
)
from authgate.core.authorize.response import AuthorizationResponse, issue
from authgate.core.mfa import acr
from authgate.core.mfa import step as second_factor
from authgate.core.ports import Services
from authgate.core.tokens import encryption, id_token_hint
from authgate.core.tokens.encryption import Sealer
from authgate.core.tokens.subject import subject
from authgate.core.types import AuthorizationRequest, Client, LoginSession, SessionState
from authgate.errors import (
    AccessDenied,
    ConsentRequired,
    InteractionRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    RedirectError,
    UnauthorizedClient,
    UnmetAuthenticationRequirements,
)


@dataclass(frozen=True, slots=True)
class NeedLogin:
    """The user must (re-)authenticate before the request can proceed."""


@dataclass(frozen=True, slots=True)
class NeedSecondFactor:
    """The live session is weaker than the request needs (``acr_values``, the client, or the
    server's policy, :mod:`authgate.core.mfa.acr`): the user adds a second factor (step-up),
    or enrols one first."""


@dataclass(frozen=True, slots=True)
class NeedConsent:
    """The user must approve these scopes for this client."""

    scope: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NeedDeviceApproval:
    """A device verification interaction (RFC 8628 §3.3) has its signed-in user: the user
    approves or denies the device on the device page."""


@dataclass(frozen=True, slots=True)
class Approved:
    """Everything is in place: the response (code and/or tokens) can be issued."""


Decision = NeedLogin | NeedSecondFactor | NeedConsent | Approved


async def load_client(client_id: str | None, svc: Services) -> Client:
    """Stage 1: the client. Raises a plain OAuthError (error page)."""
    if not client_id:
        raise InvalidRequest("The request is missing the client_id parameter")
    client = await svc.clients.get(client_id)
    if client is None or client.disabled or client.expired(svc.clock.now()):
        raise UnauthorizedClient("Unknown, disabled or expired client_id")
    return client


def resolve_redirect_uri(requested: str | None, client: Client) -> str:
    """Stage 1: the redirect URI, compared exactly with the registered ones (RFC 9700 §4.1.3)."""
    registered = client.metadata.redirect_uris
    if requested is None:
        if len(registered) == 1:
            return registered[0]
        raise InvalidRequest(
            "The request is missing redirect_uri and the client has several registered"
        )
    if not redirect_uris.matches(requested, registered, client.metadata.application_type):
        raise InvalidRequest(
            "redirect_uri does not exactly match any redirect URI registered for this client"
        )
    return requested


async def validate(
    params: Mapping[str, str], svc: Services, *, session_hash: str | None = None
) -> tuple[AuthorizationRequest, Client]:
    """Validate an authorization request (by value, by reference to a pushed one, or in a
    request object: :mod:`.request_object`).

    Args:
        session_hash: The browser's login session (hash of its cookie), if any; read only
            to decide whether an error may be redirected (:mod:`.error_redirect`).

    Raises:
        OAuthError: before the redirect URI is trusted, or for a dynamically registered
            client the signed-in user has not approved (render an error page).
        RedirectError: otherwise (redirect the error to the client).
    """
    pushed = "request_uri" in params and not request_object.carries_object(params)
    if pushed:
        params = await request_uri.resolve(params, svc)
    client = await load_client(params.get("client_id"), svc)
    # a pushed request was checked for a signed request object when it was pushed
    signed = pushed
    if request_object.carries_object(params):
        unpacked = await request_object.unpack(params, client, svc)
        params, signed = unpacked.params, unpacked.signed
    redirect_uri = resolve_redirect_uri(params.get("redirect_uri"), client)
    state = params.get("state")
    try:
        request = check_request(params, client, redirect_uri, svc, pushed=pushed, signed=signed)
    except OAuthError as exc:
        mode = response_types.error_mode(params, svc.config.current)
        sealer = await _response_sealer(mode, client, svc)
        signing = jarm.signing_for(
            mode,
            client.client_id,
            client.metadata.authorization_signed_response_alg,
            sealer.to_json() if sealer else None,
        )
        error = RedirectError(
            exc, redirect_uri=redirect_uri, state=state, response_mode=mode, signing=signing
        )
        raise await error_redirect.checked(
            error, client.client_id, svc, session_hash=session_hash
        ) from None
    sealer = await _response_sealer(request.response_mode, client, svc)
    if sealer is not None:
        request = dataclasses.replace(request, response_encryption=sealer.to_json())
    return request, client


async def _response_sealer(mode: str, client: Client, svc: Services) -> Sealer | None:
    """For a JARM ``mode``: how to encrypt the response, if the client asked for that.

    Raises:
        InvalidRequest: the client's key cannot be had. Its response cannot be delivered
            as it asked, so the error is shown to the user instead.
    """
    if not jarm.is_jwt(mode):
        return None
    return await encryption.sealer_for(client, svc, "authorization")


def check_request(
    params: Mapping[str, str],
    client: Client,
    redirect_uri: str,
    svc: Services,
    *,
    pushed: bool = False,
    signed: bool = False,
) -> AuthorizationRequest:
    """Stage 2, once client and redirect URI are trusted (also run by the PAR endpoint): the
    checks of :data:`authgate.core.authorize.steps.STEPS`, in order.

    Raises:
        OAuthError: the first failed check (the caller decides how to deliver it).
    """
    draft = steps.Draft(
        params, client, svc.config.current, redirect_uri, pushed=pushed, signed=signed
    )
    request = steps.run(draft)
    hint = params.get("id_token_hint")
    if hint:
        sub = id_token_hint.subject_for(hint, client.client_id, svc)
        request = dataclasses.replace(request, id_token_hint_sub=sub)
    return request


async def decide(
    request: AuthorizationRequest,
    state: SessionState | None,
    svc: Services,
    *,
    fresh_login: bool = False,
    consented: bool = False,
) -> Decision:
    """What the request needs next, given the browser's session (OIDC Core §3.1.2.3): a
    login, a second factor when the session's ``acr`` ranks below what the request needs
    (:func:`authgate.core.mfa.acr.required_level`), consent, or nothing.

    ``state`` is the browser's live login session with its user's standing and consent, read
    for this request's client (:meth:`ports.SessionStore.state`). ``fresh_login``/``consented``
    say the user has just logged in / approved in this interaction, which satisfies
    ``prompt=login``/``prompt=consent``.

    Raises:
        RedirectError: ``login_required``/``interaction_required``/``consent_required`` for
            ``prompt=none``.
        OAuthError: the same, for a dynamically registered client the signed-in user has not
            approved (:mod:`.error_redirect`: shown on the error page).
        ValueError: ``state`` was read for another client.
    """
    if state is not None and state.client_id != request.client_id:
        raise ValueError("the session state was read for another client")
    now = svc.clock.now()
    other_user = state is not None and not await _hinted_user(request, state, svc)
    if other_user and fresh_login:
        error = _redirect(
            request,
            LoginRequired("The user who signed in is not the one id_token_hint names"),
        )
        raise await error_redirect.checked(error, request.client_id, svc, state=state)
    login_needed = state is None or (
        other_user
        or not state.user_enabled
        or (
            not fresh_login
            and (
                "login" in request.prompt
                or "create" in request.prompt
                or _too_old(state.session, request.max_age, now)
            )
        )
    )
    if login_needed:
        if "none" in request.prompt:
            error = _redirect(request, LoginRequired("The user is not logged in (prompt=none)"))
            raise await error_redirect.checked(error, request.client_id, svc, state=state)
        return NeedLogin()
    assert state is not None
    try:
        level = await second_factor.level_for(request, state.session.user_id, svc)
    except UnmetAuthenticationRequirements as exc:
        raise await error_redirect.checked(
            _redirect(request, exc), request.client_id, svc, state=state
        ) from None
    if not acr.satisfies(state.session.acr, level):
        if "none" in request.prompt:
            error = _redirect(
                request, InteractionRequired("A second factor is required (prompt=none)")
            )
            raise await error_redirect.checked(error, request.client_id, svc, state=state)
        return NeedSecondFactor()
    if consented or is_first_party(request.client_id):
        return Approved()
    # authorization details are asked about every time: a consent to scopes does not cover them
    if (
        "consent" in request.prompt
        or request.authorization_details is not None
        or not set(request.scope) <= state.consented
    ):
        if "none" in request.prompt:
            error = _redirect(request, ConsentRequired("The user has not consented (prompt=none)"))
            raise await error_redirect.checked(error, request.client_id, svc, state=state)
        return NeedConsent(request.scope)
    return Approved()


async def _hinted_user(request: AuthorizationRequest, state: SessionState, svc: Services) -> bool:
    """Whether the session's user is the one the request's ``id_token_hint`` names (as the
    client knows it: its ``sub``, pairwise or public); True without a hint. OIDC Core
    §3.1.2.1: another user's session must not answer."""
    if request.id_token_hint_sub is None:
        return True
    client = await svc.clients.get(request.client_id)
    if client is None:
        return False
    return subject(state.session.user_id, client, svc.config.current) == request.id_token_hint_sub


def _too_old(session: LoginSession, max_age: int | None, now: float) -> bool:
    """OIDC Core §3.1.2.1 max_age (or the client's default_max_age): re-authenticate when
    more seconds than that have passed since the login; ``max_age=0`` always does."""
    if max_age is None:
        return False
    return max_age == 0 or now - session.auth_time > max_age


def _redirect(request: AuthorizationRequest, error: OAuthError) -> RedirectError:
    return RedirectError(
        error,
        redirect_uri=request.redirect_uri,
        state=request.state,
        response_mode=request.response_mode,
        signing=jarm.signing_for(
            request.response_mode,
            request.client_id,
            request.response_signing_alg,
            request.response_encryption,
        ),
    )


async def deny(
    request: AuthorizationRequest, session: LoginSession, svc: Services
) -> RedirectError | OAuthError:
    """The user refused consent (RFC 6749 §4.1.2.1 access_denied): the error to raise, a
    redirect or, for a dynamically registered client this user never approved, the error
    page (:mod:`.error_redirect`)."""
    error = _redirect(request, AccessDenied("The user denied the authorization request"))
    return await error_redirect.checked(
        error, request.client_id, svc, session_hash=session.session_hash
    )


__all__ = [
    "Approved",
    "AuthorizationResponse",
    "Decision",
    "NeedConsent",
    "NeedLogin",
    "NeedSecondFactor",
    "decide",
    "deny",
    "issue",
    "load_client",
    "resolve_redirect_uri",
    "validate",
]
