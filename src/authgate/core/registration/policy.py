"""Who may register a client (RFC 7591 §3): ``dynamicRegistrationPolicy``.

* ``open``: anyone; a bearer token in the request is ignored.
* ``initial_access_token``: the request carries ``Authorization: Bearer <token>``, a token an
  administrator issued (:class:`~authgate.core.types.InitialAccessToken`). A missing, unknown,
  expired, revoked or used-up token is ``401 invalid_token`` (RFC 6750 §3.1), before the body
  is looked at. A use is counted only once the request has passed every other check, so a
  refused registration does not spend one; counting is atomic in the store, so a token with
  one use left registers one client however many requests race for it.
* ``closed``: nobody, ``403 access_denied``, the answer of ``dynamicRegistrationEnabled: false``
  (either one closes registration).

Clients already registered keep managing their registration with their registration access
token (RFC 7592) under every policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.appconfig import AppConfiguration
from authgate.core.ports import Services
from authgate.crypto.handles import handle_hash
from authgate.errors import AccessDenied, InvalidToken

OPEN = "open"
INITIAL_ACCESS_TOKEN = "initial_access_token"  # noqa: S105 (a policy name)
CLOSED = "closed"

_MISSING = (
    "Registration on this server needs an initial access token (RFC 7591 §3): send "
    "Authorization: Bearer <initial access token>"
)
_REFUSED = "The initial access token is not valid: unknown, expired, revoked or used up"


def registration_open(config: AppConfiguration) -> bool:
    """Whether the registration endpoint accepts requests at all (and is advertised)."""
    return config.dynamicRegistrationEnabled and config.dynamicRegistrationPolicy != CLOSED


@dataclass(frozen=True, slots=True)
class Admission:
    """A registration request let in; ``token_hash`` names the initial access token to count
    a use of once the client is valid (None: no token needed)."""

    token_hash: str | None = None


async def admit(token: str | None, svc: Services) -> Admission:
    """Let a registration request in, or refuse it, by the policy in force.

    Args:
        token: The request's bearer token, if it sent one.

    Raises:
        AccessDenied: registration is closed.
        InvalidToken: the policy wants an initial access token and this is none, or not a
            usable one.
    """
    config = svc.config.current
    if not config.dynamicRegistrationEnabled:
        raise AccessDenied("Dynamic client registration is disabled on this server")
    if config.dynamicRegistrationPolicy == CLOSED:
        raise AccessDenied("Dynamic client registration is closed on this server")
    if config.dynamicRegistrationPolicy != INITIAL_ACCESS_TOKEN:
        return Admission()
    if not token:
        raise InvalidToken(_MISSING)
    key = handle_hash(token)
    found = await svc.initial_tokens.find(key)
    if found is None or not found.usable(svc.clock.now()):
        raise InvalidToken(_REFUSED)
    return Admission(key)


async def spend(admission: Admission, svc: Services) -> None:
    """Count the use of the admission's token, just before the client is stored.

    Raises:
        InvalidToken: the token was used up, revoked or expired since :func:`admit`.
    """
    if admission.token_hash is None:
        return
    if not await svc.initial_tokens.use(admission.token_hash, svc.clock.now()):
        raise InvalidToken(_REFUSED)
