"""First start of the Config API: its scopes and the admin client (janssen-spec §7.3).

The admin scopes are created once, as non-registrable scopes. The instance that creates them
also creates the admin client: a confidential ``client_credentials`` client holding every
admin scope. Its id and secret come from ``AUTHGATE_ADMIN_CLIENT_ID``/``_SECRET`` or are
generated and reported once (only the secret's hash is stored). A client named by
``AUTHGATE_ADMIN_CLIENT_ID`` that does not exist yet is created on any start; an existing
client is never changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from authgate.admin.scopes import ADMIN_SCOPES, PROPERTIES_WRITE, admin_scope_records
from authgate.core.ports import ClientStore, ScopeStore
from authgate.core.types import Client, ClientMetadata
from authgate.crypto.handles import handle_hash, new_handle
from authgate.storage.database import IntegrityViolation

ADMIN_CLIENT_NAME = "authgate admin (Config API)"


@dataclass(frozen=True, slots=True)
class AdminClientCredentials:
    """What the bootstrap created; ``client_secret`` is set only when it was generated."""

    client_id: str
    client_secret: str | None


def admin_client(client_id: str, secret: str, now: int) -> Client:
    """The admin client: confidential, client_credentials only, every admin scope."""
    metadata = ClientMetadata(
        client_name=ADMIN_CLIENT_NAME,
        grant_types=("client_credentials",),
        response_types=(),
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 (a method name)
        additional_token_endpoint_auth_methods=("client_secret_post",),
        scope=ADMIN_SCOPES,
        subject_type="public",
    )
    return Client(
        client_id=client_id,
        metadata=metadata,
        client_id_issued_at=now,
        secret_hash=handle_hash(secret),
    )


async def _create_scopes(scopes: ScopeStore) -> bool:
    """Add missing admin scopes; True if this call created the properties.write scope."""
    existing = {s.scope_id for s in await scopes.all()}
    created_marker = False
    for scope in admin_scope_records():
        if scope.scope_id in existing:
            continue
        try:
            await scopes.add(scope)
        except IntegrityViolation:
            continue
        created_marker = created_marker or scope.scope_id == PROPERTIES_WRITE
    return created_marker


async def ensure_admin_client(
    scopes: ScopeStore,
    clients: ClientStore,
    now: float,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> AdminClientCredentials | None:
    """Create the admin scopes and, on first start, the admin client.

    Returns the created client's credentials, or None when nothing was created.
    """
    first = await _create_scopes(scopes)
    if client_id is not None and await clients.get(client_id) is not None:
        return None
    if client_id is None and not first:
        return None
    cid = client_id or str(uuid.uuid4())
    secret = client_secret or new_handle()
    try:
        await clients.add(admin_client(cid, secret, int(now)))
    except IntegrityViolation:
        return None
    return AdminClientCredentials(cid, None if client_secret else secret)
