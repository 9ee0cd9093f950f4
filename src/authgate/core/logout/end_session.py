"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at the end_session endpoint.

Parameters: ``id_token_hint`` (an ID Token this server issued; signature and issuer checked,
expiry not, §2), ``client_id``, ``post_logout_redirect_uri`` (must equal one the client
registered; §3 requires the client to be known, through the hint or ``client_id``) and
``state`` (echoed to that URI). Errors are shown on a page and never redirected.

The session ended is the browser's own (its cookie). Without confirmation only when the
hint names that very session (its ``sid``); otherwise, including when there is no hint, the
user confirms on a page whose form carries a CSRF token derived from the session cookie.

Ending a session: the session is deleted server-side (so the next authorization request
shows the login page instead of issuing a code silently), the grants issued in it are
revoked except those granted ``offline_access`` (OIDC Back-Channel Logout 1.0 §2.7), the
participating clients get back-channel Logout Tokens (:mod:`authgate.core.logout.logout_token`),
and their front-channel logout URIs are returned for the logged-out page to load
(:mod:`authgate.core.logout.frontchannel`).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from authgate.core.logout import logout_token
from authgate.core.logout.frontchannel import frontchannel_uris
from authgate.core.ports import Services
from authgate.core.tokens import id_token_hint
from authgate.core.tokens.mint import OFFLINE_ACCESS
from authgate.core.types import Client, LoginSession
from authgate.crypto.handles import handle_hash
from authgate.errors import CsrfError, InvalidRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """A validated logout request."""

    client: Client | None
    post_logout_redirect_uri: str | None
    state: str | None
    hint_sid: str | None
    #: The request parameters to carry through the confirmation page.
    params: Mapping[str, str]


async def validate(params: Mapping[str, str], svc: Services) -> LogoutRequest:
    """Check a logout request.

    Raises:
        InvalidRequest: a bad hint, an unknown or mismatching client, an unregistered
            ``post_logout_redirect_uri`` (rendered as an error page).
    """
    client_id = params.get("client_id")
    hint_sid = None
    if "id_token_hint" in params:
        claims = id_token_hint.read(params["id_token_hint"], svc)
        if client_id is not None and client_id not in id_token_hint.audiences(claims):
            raise InvalidRequest("client_id is not an audience of the id_token_hint")
        client_id = client_id or id_token_hint.hinted_client_id(claims)
        sid = claims.get("sid")
        hint_sid = sid if isinstance(sid, str) else None
    client = await svc.clients.get(client_id) if client_id else None
    if client is not None and (client.disabled or client.expired(svc.clock.now())):
        client = None
    if client_id is not None and client is None and "client_id" in params:
        raise InvalidRequest("Unknown, disabled or expired client_id")
    uri = params.get("post_logout_redirect_uri")
    if uri is not None:
        if client is None:
            raise InvalidRequest(
                "post_logout_redirect_uri needs an id_token_hint or client_id of a live client"
            )
        if uri not in client.metadata.post_logout_redirect_uris:
            raise InvalidRequest(
                "post_logout_redirect_uri does not exactly match one registered for the client"
            )
    carried = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")
    return LogoutRequest(
        client=client,
        post_logout_redirect_uri=uri,
        state=params.get("state"),
        hint_sid=hint_sid,
        params={k: params[k] for k in carried if k in params},
    )


def needs_confirmation(request: LogoutRequest, session: LoginSession | None) -> bool:
    """Ask the user unless the hint names the browser's session (or there is none to end)."""
    return session is not None and request.hint_sid != session.sid


def csrf_token(session_cookie: str) -> str:
    """The confirmation form's CSRF token: bound to the session cookie, not stored anywhere."""
    return handle_hash("end_session\0" + session_cookie)


def check_csrf(session_cookie: str, token: str | None) -> None:
    """Raises CsrfError unless ``token`` belongs to this session cookie."""
    if not token or not hmac.compare_digest(token, csrf_token(session_cookie)):
        raise CsrfError("end_session confirmation without a valid CSRF token")


async def logout(session: LoginSession, svc: Services) -> list[str]:
    """End ``session``: delete it, revoke its online grants, notify clients (see module doc).

    Returns:
        The front-channel logout URIs the browser must load, ``iss`` and ``sid`` included
        where the client asked for them.
    """
    notices = await logout_token.notices(session, svc)  # before the session is gone
    frontchannel = await frontchannel_uris(session, svc)
    await svc.sessions.end(session.session_hash)
    revoked = await svc.grants.revoke_session(session.sid, svc.clock.now(), OFFLINE_ACCESS)
    logger.info(
        "session %s ended: %d grant(s) revoked, %d back-channel notice(s), "
        "%d front-channel page(s)",
        session.sid,
        revoked,
        len(notices),
        len(frontchannel),
    )
    await svc.logout.submit(notices)
    return frontchannel
