"""First start of the Config API: its scopes and the admin client
(docs/janssen-compatibility.md §9.1).

The admin scopes are created once, as non-registrable scopes, together with the admin client
in one transaction: a confidential ``client_credentials`` client holding every admin scope.
Its id and secret come from ``AUTHGATE_ADMIN_CLIENT_ID``/``_SECRET`` or are generated and
reported once (only the secret's hash is stored). A client named by
``AUTHGATE_ADMIN_CLIENT_ID`` that does not exist yet is created on any start; an existing
client is never changed. When several instances start at once, one of them wins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from authgate.admin.ports import AdminStore
from authgate.admin.scopes import ADMIN_SCOPES, PROPERTIES_WRITE, admin_scope_records
from authgate.admin_records import AuditEntry
from authgate.core.ports import ClientStore, ScopeStore
from authgate.core.types import Client, ClientMetadata
from authgate.crypto.handles import handle_hash, new_handle

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


async def ensure_admin_client(
    store: AdminStore,
    scopes: ScopeStore,
    clients: ClientStore,
    now: float,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> AdminClientCredentials | None:
    """Create missing admin scopes and, on first start, the admin client.

    Returns the created client's credentials, or None when no client was created.
    """
    existing = {s.scope_id for s in await scopes.all()}
    missing = [s for s in admin_scope_records() if s.scope_id not in existing]
    first = any(s.scope_id == PROPERTIES_WRITE for s in missing)
    named_missing = client_id is not None and await clients.get(client_id) is None
    if not missing and not named_missing:
        return None
    client = None
    secret = client_secret or new_handle()
    if first or named_missing:
        client = admin_client(client_id or str(uuid.uuid4()), secret, int(now))
    after = {"scopes": [s.scope_id for s in missing]}
    if client is not None:
        after["client_id"] = [client.client_id]
    entry = AuditEntry("system:bootstrap", "admin.bootstrap", "client",
                       client.client_id if client else "-", now, None, after)  # fmt: skip
    if not await store.bootstrap(missing, client, entry) or client is None:
        return None
    return AdminClientCredentials(client.client_id, None if client_secret else secret)
