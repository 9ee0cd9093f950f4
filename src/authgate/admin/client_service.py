"""Use cases on clients: list/search, get, create, replace, delete.

Administrators may create what dynamic registration refuses (client_credentials clients,
non-registrable scopes such as the Config API's), but the same redirect URI rules apply and
every scope must exist. A confidential client gets a secret when it has none; the secret is
returned once and only its hash is stored.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import NotFound
from authgate.admin.redact import redact
from authgate.admin.schemas import ClientIn
from authgate.admin_records import AuditEntry
from authgate.appconfig import IMPLEMENTED_GRANT_TYPES
from authgate.appconfig_resources import TOKEN_EXCHANGE
from authgate.core import security_events
from authgate.core.authorize import redirect_uris
from authgate.core.origins import validate_authorized_origins
from authgate.core.registration import checks as registration_checks
from authgate.core.security_events import EventKind
from authgate.core.types import PUBLIC_AUTH_METHOD, Client, ClientMetadata, SubjectType
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri

RESPONSE_TYPES = frozenset({"code", "token", "id_token"})
_NEEDS_REDIRECT = frozenset({"authorization_code", "implicit"})
#: Grants a public client may not have (RFC 6749 §4.4; docs/resources.md for token exchange).
CONFIDENTIAL_ONLY_GRANTS = frozenset({"client_credentials", TOKEN_EXCHANGE})


@dataclass(frozen=True, slots=True)
class ClientResult:
    """A stored client and, when one was just issued, its plaintext secret (shown once)."""

    client: Client
    client_secret: str | None = None


def _check(body: ClientIn, known_scopes: set[str], ctx: AdminContext) -> None:
    grants = set(body.grant_types)
    unknown = sorted(grants - set(IMPLEMENTED_GRANT_TYPES))
    if unknown:
        raise InvalidClientMetadata(
            f"grant_types: unsupported {unknown}; use {list(IMPLEMENTED_GRANT_TYPES)}"
        )
    bad = sorted({p for r in body.response_types for p in r.split()} - RESPONSE_TYPES)
    if bad:
        raise InvalidClientMetadata(f"response_types: unsupported {bad}")
    for grant in sorted(grants & CONFIDENTIAL_ONLY_GRANTS):
        if body.token_endpoint_auth_method == PUBLIC_AUTH_METHOD:
            raise InvalidClientMetadata(
                f"grant_types: {grant} needs a confidential client "
                "(token_endpoint_auth_method other than none)"
            )
    if grants & _NEEDS_REDIRECT and not body.redirect_uris:
        raise InvalidRedirectUri("redirect_uris: required for the authorization_code grant")
    config = ctx.services.config.current
    for uri in body.redirect_uris:
        redirect_uris.validate_registered(
            uri, body.application_type, config.clientWhiteList, config.clientBlackList
        )
    registration_checks.check_frontchannel_logout_uri(
        body.frontchannel_logout_uri, body.redirect_uris
    )
    missing = sorted(set(body.scope) - known_scopes)
    if missing:
        raise InvalidClientMetadata(f"scope: unknown scope(s) {missing}; create them first")


def _metadata(body: ClientIn, config_subject: SubjectType, base: ClientMetadata) -> ClientMetadata:
    return dataclasses.replace(
        base,
        client_name=body.client_name,
        redirect_uris=tuple(dict.fromkeys(body.redirect_uris)),
        grant_types=tuple(dict.fromkeys(body.grant_types)),
        response_types=tuple(dict.fromkeys(body.response_types)),
        token_endpoint_auth_method=body.token_endpoint_auth_method,
        additional_token_endpoint_auth_methods=tuple(body.additional_token_endpoint_auth_methods),
        scope=tuple(dict.fromkeys(body.scope)),
        application_type=body.application_type,
        subject_type=body.subject_type or config_subject,
        require_pkce=body.require_pkce,
        access_token_lifetime=body.access_token_lifetime,
        additional_audience=tuple(body.additional_audience),
        post_logout_redirect_uris=tuple(body.post_logout_redirect_uris),
        frontchannel_logout_uri=body.frontchannel_logout_uri,
        frontchannel_logout_session_required=body.frontchannel_logout_session_required,
        contacts=tuple(body.contacts),
        client_uri=body.client_uri,
        logo_uri=body.logo_uri,
        policy_uri=body.policy_uri,
        tos_uri=body.tos_uri,
        custom_attributes=dict(body.custom_attributes),
        authorized_origins=validate_authorized_origins(body.authorized_origins),
        dpop_bound_access_tokens=body.dpop_bound_access_tokens,
        allowed_resources=tuple(body.allowed_resources),
        token_exchange_audiences=tuple(body.token_exchange_audiences),
    )


def audit_view(client: Client | None) -> dict[str, object] | None:
    """What the audit log keeps of a client (secrets redacted)."""
    if client is None:
        return None
    view = {
        "client_id": client.client_id,
        "disabled": client.disabled,
        "expires_at": client.expires_at,
        "secret_hash": client.secret_hash,
        **client.metadata.to_json(),
    }
    result: dict[str, object] = redact(view)
    return result


class ClientAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def _entry(
        self, actor: Actor, action: str, cid: str, before: Client | None, after: Client | None
    ) -> AuditEntry:
        return AuditEntry(
            actor.name,
            action,
            "client",
            cid,
            self._ctx.now(),
            audit_view(before),
            audit_view(after),
        )

    def _event(self, kind: EventKind, client_id: str, actor: Actor, detail: str) -> None:
        security_events.record(
            self._ctx.services, kind, source=actor.source, client_id=client_id, detail=detail
        )

    async def list(
        self, pattern: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Client]:
        """Clients whose name or id contains ``pattern`` (case-insensitive), by name."""
        return await self._ctx.store.search_clients(pattern, limit, offset)

    async def get(self, client_id: str) -> Client:
        client = await self._ctx.services.clients.get(client_id)
        if client is None:
            raise NotFound(f"No client with client_id {client_id!r}")
        return client

    async def _known_scopes(self) -> set[str]:
        return {s.scope_id for s in await self._ctx.services.scopes.all()}

    async def create(self, body: ClientIn, actor: Actor) -> ClientResult:
        """Create a client; a confidential one gets a secret, returned once."""
        _check(body, await self._known_scopes(), self._ctx)
        config = self._ctx.services.config.current
        metadata = _metadata(body, config.defaultSubjectType, ClientMetadata())
        secret = None if metadata.is_public else new_handle()
        client = Client(
            client_id=str(uuid.uuid4()),
            metadata=metadata,
            client_id_issued_at=int(self._ctx.now()),
            secret_hash=handle_hash(secret) if secret else None,
            disabled=body.disabled,
        )
        await self._ctx.store.add_client(
            client, self._entry(actor, "client.create", client.client_id, None, client)
        )
        await self._ctx.client_changed(client.client_id)
        self._event(
            EventKind.CLIENT_REGISTERED, client.client_id, actor, "created by an administrator"
        )
        return ClientResult(client, secret)

    async def update(self, client_id: str, body: ClientIn, actor: Actor) -> ClientResult:
        """Replace a client's metadata. Registration-only members (expiry, registration
        token) are kept; a client that becomes confidential gets a secret, a client that
        becomes public loses its secret."""
        current = await self.get(client_id)
        _check(body, await self._known_scopes(), self._ctx)
        config = self._ctx.services.config.current
        metadata = _metadata(body, config.defaultSubjectType, current.metadata)
        secret = None
        secret_hash = current.secret_hash
        if metadata.is_public:
            secret_hash = None
        elif secret_hash is None:
            secret = new_handle()
            secret_hash = handle_hash(secret)
        client = dataclasses.replace(
            current, metadata=metadata, secret_hash=secret_hash, disabled=body.disabled
        )
        entry = self._entry(actor, "client.update", client_id, current, client)
        applied = await self._ctx.store.replace_client(client, entry)
        await self._ctx.client_changed(client_id)
        if not applied:
            raise NotFound(f"No client with client_id {client_id!r}")
        return ClientResult(client, secret)

    async def delete(self, client_id: str, actor: Actor) -> None:
        """Delete a client; every token issued to it is revoked."""
        current = await self.get(client_id)
        entry = self._entry(actor, "client.delete", client_id, current, None)
        applied = await self._ctx.store.delete_client(client_id, entry)
        await self._ctx.client_changed(client_id)
        if not applied:
            raise NotFound(f"No client with client_id {client_id!r}")
        self._event(EventKind.CLIENT_DELETED, client_id, actor, "deleted by an administrator")
