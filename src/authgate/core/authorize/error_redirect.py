"""Whether an authorization error may go back to the client's redirect URI (RFC 9700 §4.11.2).

RFC 6749 §4.1.2.1 returns the errors found once the redirect URI is verified to the client.
A verified redirect URI only proves that the client registered it, and anyone can register a
client through dynamic registration (RFC 7591): an attacker registers their own site and
sends people a link to authgate's authorization endpoint with a request that fails, and the
error redirect lands them on that site at once, behind a URL of the trusted server (an open
redirector, RFC 9700 §4.11.2).

So an error for a client that was registered dynamically goes back to its redirect URI only
once the client has completed an authorization a user approved (it holds a token issued for
a user: :meth:`ports.GrantStore.has_user_tokens`), or when the browser's signed-in user has
approved that client before (a stored consent, which the session state read at the
authorization endpoint carries); otherwise it is shown on authgate's error page (HTTP 400,
no redirect). Clients created by an administrator (Config API, CLI) keep RFC 6749 §4.1.2.1:
their errors are redirected.

Only error paths call :func:`checked` (a cached client read and at most two keyed reads); a
successful authorization costs nothing more.
"""

from __future__ import annotations

import logging

from authgate.core.ports import Services
from authgate.core.types import SessionState
from authgate.errors import OAuthError, RedirectError

logger = logging.getLogger(__name__)


def approved_by_user(state: SessionState | None, client_id: str) -> bool:
    """Whether the browser's signed-in user (``state``, None when nobody is) is enabled and
    has approved ``client_id`` before."""
    return (
        state is not None
        and state.client_id == client_id
        and state.user_enabled
        and bool(state.consented)
    )


async def live_state(session_hash: str, client_id: str, svc: Services) -> SessionState | None:
    """The session ``session_hash`` names, if it is live, with its user's consent for
    ``client_id`` (:meth:`ports.SessionStore.state`)."""
    state = await svc.sessions.state(session_hash, client_id)
    if state is None or state.session.expires_at <= svc.clock.now():
        return None
    return state


async def checked(
    error: RedirectError,
    client_id: str,
    svc: Services,
    *,
    state: SessionState | None = None,
    session_hash: str | None = None,
) -> RedirectError | OAuthError:
    """``error`` if it may go to the client's redirect URI, else its cause, which the web
    layer shows on the error page.

    Args:
        state: The browser's session state for ``client_id``, when the caller has read it.
        session_hash: Otherwise the browser's session, read here only when the client was
            registered dynamically.
    """
    client = await svc.clients.get(client_id)
    if client is not None and (
        not client.registered_dynamically
        or approved_by_user(state, client_id)
        or await svc.grants.has_user_tokens(client_id)
        or (
            state is None
            and session_hash is not None
            and approved_by_user(await live_state(session_hash, client_id, svc), client_id)
        )
    ):
        return error
    logger.info(
        "authorization error %s for client %s shown on the error page: registered "
        "dynamically and never approved (RFC 9700 §4.11.2)",
        error.cause.error,
        client_id,
    )
    return error.cause
