"""The client configuration endpoint (RFC 7592) at ``registration_client_uri``.

``GET``, ``PUT`` and ``DELETE /jans-auth/restv1/register?client_id=...`` with the
registration access token as a bearer token (RFC 7592 §2). An unknown or expired client and a
wrong token are the same ``401 invalid_token`` (§2.1: the server must not reveal which); the
token is checked against the database, never a cached client. ``PUT`` replaces the metadata
(§2.2: omitted members are reset) and validates it exactly as a registration; ``client_id``,
the secret, the timestamps and the client's ``lifetime`` do not change. Every successful
``PUT`` issues a new registration access token and the old one stops working at once (§2.2
allows it; a token that leaked stays useful until the client's next update at most), and of
two updates presenting the same token only the first lands. A ``client_id`` or ``client_secret``
in the body must equal the current ones; the read-only members a client echoes back from a
read (``registration_access_token``, ``registration_client_uri``, ``client_id_issued_at``,
``client_secret_expires_at``) are ignored. Switching between an authentication method that
uses a secret and one that does not is refused, since no secret can be issued or withdrawn
without changing the credentials. The registration policy's checks on content apply to an
update as to a registration (software statement, trusted hosts); who may register does not:
a client keeps managing its registration whatever ``dynamicRegistrationPolicy`` says.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from authgate.core import security_events
from authgate.core.ports import Services
from authgate.core.protection import attempts
from authgate.core.protection.clients import protect, retry_hint
from authgate.core.protection.policy import Standing
from authgate.core.registration import sector, software_statement, trusted_hosts
from authgate.core.registration.endpoint import build_metadata, needs_secret
from authgate.core.registration.request import parse_registration_request
from authgate.core.security_events import EventKind
from authgate.core.types import Client
from authgate.crypto.handles import handle_hash, hash_matches, new_handle
from authgate.errors import InvalidClientMetadata, InvalidRequest, InvalidToken

logger = logging.getLogger(__name__)


WRONG_TOKEN = "The registration access token is not valid for this client"  # noqa: S105


def _refused(standing: Standing) -> InvalidToken:
    """A guess refused before the check: the answer to a wrong token, with the wait (which
    depends on this source's failures for the client_id sent, not on whether it exists)."""
    if not standing.retry_after:
        return InvalidToken(WRONG_TOKEN)
    return retry_hint(
        InvalidToken(f"{WRONG_TOKEN}; try again in {standing.retry_after} seconds"),
        standing.retry_after,
    )


async def _check_token(client_id: str, token: str, svc: Services) -> Client:
    client = await svc.clients.get(client_id, fresh=True)
    if (
        client is None
        or client.expired(svc.clock.now())
        or not hash_matches(token, client.registration_token_hash)
    ):
        raise InvalidToken(WRONG_TOKEN)
    return client


async def configured_client(
    client_id: str | None,
    token: str | None,
    svc: Services,
    *,
    source: str = attempts.UNKNOWN_SOURCE,
) -> Client:
    """The client whose registration access token this is, checked under brute-force
    protection (failed guesses from ``source`` make further ones wait).

    Raises:
        InvalidRequest: no ``client_id`` query parameter.
        InvalidToken: no token, not this live client's token, or a guess refused while this
            source must wait (with ``Retry-After``).
    """
    if not client_id:
        raise InvalidRequest("The request is missing the client_id parameter")
    if not token:
        raise InvalidToken("The request carries no registration access token")
    return await protect(
        attempts.REGISTRATION,
        client_id,
        source,
        svc,
        lambda: _check_token(client_id, token, svc),
        counted=InvalidToken,
        refusal=_refused,
    )


@dataclass(frozen=True, slots=True)
class Updated:
    """The updated client and its new registration access token (plaintext, shown once)."""

    client: Client
    registration_access_token: str


async def update(client: Client, body: Any, svc: Services) -> Updated:
    """``PUT``: replace the metadata of an authenticated client (RFC 7592 §2.2) and rotate
    its registration access token.

    Nothing changes on error.

    The new metadata passes the checks of a registration: a software statement (required
    with ``softwareStatementRequired``; the one the client registered with is not refused for
    its age) and the trusted hosts.

    Raises:
        InvalidClientMetadata, InvalidRedirectUri: the new metadata is not acceptable.
        InvalidSoftwareStatement, UnapprovedSoftwareStatement: see
            :mod:`authgate.core.registration.software_statement`.
        InvalidToken: the client was deleted meanwhile, or another update with the same
            token landed first.
    """
    config = svc.config.current
    body = software_statement.apply(
        body, config, svc.clock.now(), registered=client.metadata.software_statement
    )
    request = parse_registration_request(body)
    if request.client_id is not None and request.client_id != client.client_id:
        raise InvalidClientMetadata("client_id in the request must be the client's client_id")
    if request.client_secret is not None and not (
        isinstance(request.client_secret, str)
        and hash_matches(request.client_secret, client.secret_hash)
    ):
        raise InvalidClientMetadata("client_secret in the request is not the client's secret")
    metadata = build_metadata(request, config, await svc.scopes.all())
    trusted_hosts.check(metadata, config)
    await sector.verify(metadata, svc)
    metadata = dataclasses.replace(metadata, lifetime=client.metadata.lifetime)
    if needs_secret(metadata) != (client.secret_hash is not None):
        raise InvalidClientMetadata(
            "Parameter token_endpoint_auth_method is not valid: it cannot change between "
            "methods with and without a client secret; register a new client instead"
        )
    token = new_handle()
    updated = dataclasses.replace(
        client, metadata=metadata, registration_token_hash=handle_hash(token)
    )
    if not await svc.clients.replace(updated, expected_token_hash=client.registration_token_hash):
        raise InvalidToken("The registration access token is not valid for this client")
    logger.info("client %s updated its registration", client.client_id)
    return Updated(updated, token)


async def delete(client: Client, svc: Services, *, source: str | None = None) -> None:
    """``DELETE``: remove an authenticated client; its codes and tokens stop working (§2.3).
    Recorded as a ``client_deleted`` security event from ``source``.

    Raises:
        InvalidToken: the client was deleted meanwhile.
    """
    if not await svc.clients.delete(client.client_id):
        raise InvalidToken("The registration access token is not valid for this client")
    logger.info("client %s deleted its registration", client.client_id)
    security_events.record(
        svc,
        EventKind.CLIENT_DELETED,
        source=source,
        client_id=client.client_id,
        detail="deleted by the client (RFC 7592)",
    )
