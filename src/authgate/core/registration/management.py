"""The client configuration endpoint (RFC 7592) at ``registration_client_uri``.

``GET``, ``PUT`` and ``DELETE /jans-auth/restv1/register?client_id=...`` with the registration
access token as a bearer token (RFC 7592 §2, docs/janssen-compatibility.md §3.7). An unknown or
expired client and a wrong token are the same ``401 invalid_token`` (§2.1: the server must not
reveal which). ``PUT`` replaces the metadata (§2.2: omitted members are reset) and validates it
exactly as a registration; ``client_id``, the secret, the registration access token, the
timestamps and the client's ``lifetime`` do not change. A ``client_id`` or ``client_secret`` in
the body must equal the current ones; the read-only members a client echoes back from a read
(``registration_access_token``, ``registration_client_uri``, ``client_id_issued_at``,
``client_secret_expires_at``) are ignored. Switching between an authentication method that uses
a secret and one that does not is refused, since no secret can be issued or withdrawn without
changing the credentials.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from authgate.core import security_events
from authgate.core.ports import Services
from authgate.core.registration import sector
from authgate.core.registration.endpoint import build_metadata, needs_secret
from authgate.core.registration.request import parse_registration_request
from authgate.core.security_events import EventKind
from authgate.core.types import Client
from authgate.crypto.handles import hash_matches
from authgate.errors import InvalidClientMetadata, InvalidRequest, InvalidToken

logger = logging.getLogger(__name__)


async def configured_client(client_id: str | None, token: str | None, svc: Services) -> Client:
    """The client whose registration access token this is.

    Raises:
        InvalidRequest: no ``client_id`` query parameter.
        InvalidToken: no token, or not this live client's token.
    """
    if not client_id:
        raise InvalidRequest("The request is missing the client_id parameter")
    if not token:
        raise InvalidToken("The request carries no registration access token")
    client = await svc.clients.get(client_id)
    if (
        client is None
        or client.expired(svc.clock.now())
        or not hash_matches(token, client.registration_token_hash)
    ):
        raise InvalidToken("The registration access token is not valid for this client")
    return client


async def update(client: Client, body: Any, svc: Services) -> Client:
    """``PUT``: replace the metadata of an authenticated client (RFC 7592 §2.2).

    Nothing changes on error.

    Raises:
        InvalidClientMetadata, InvalidRedirectUri: the new metadata is not acceptable.
        InvalidToken: the client was deleted meanwhile.
    """
    request = parse_registration_request(body)
    if request.client_id is not None and request.client_id != client.client_id:
        raise InvalidClientMetadata("client_id in the request must be the client's client_id")
    if request.client_secret is not None and not (
        isinstance(request.client_secret, str)
        and hash_matches(request.client_secret, client.secret_hash)
    ):
        raise InvalidClientMetadata("client_secret in the request is not the client's secret")
    metadata = build_metadata(request, svc.config.current, await svc.scopes.all())
    await sector.verify(metadata, svc)
    metadata = dataclasses.replace(metadata, lifetime=client.metadata.lifetime)
    if needs_secret(metadata) != (client.secret_hash is not None):
        raise InvalidClientMetadata(
            "Parameter token_endpoint_auth_method is not valid: it cannot change between "
            "methods with and without a client secret; register a new client instead"
        )
    updated = dataclasses.replace(client, metadata=metadata)
    if not await svc.clients.replace(updated):
        raise InvalidToken("The registration access token is not valid for this client")
    logger.info("client %s updated its registration", client.client_id)
    return updated


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
