"""Use cases on clients: list/search, get, create, replace, delete.

Administrators may create what dynamic registration refuses (client_credentials clients,
non-registrable scopes such as the Config API's), but the rules of registration apply to
redirect URIs, keys (``jwks``, ``jwks_uri``), signing algorithms, logout URIs and the
``sector_identifier_uri`` (fetched and checked), and every scope must exist. A client that
authenticates with a secret gets one when it has none; the secret is returned once and only
its hash is stored. A client that authenticates only with ``private_key_jwt`` or not at all
holds no secret.
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
from authgate.appconfig import IMPLEMENTED_GRANT_TYPES, AppConfiguration
from authgate.appconfig_resources import TOKEN_EXCHANGE
from authgate.core import security_events
from authgate.core.authorize import redirect_uris
from authgate.core.origins import validate_authorized_origins
from authgate.core.registration import checks as registration_checks
from authgate.core.registration import request_objects, sector
from authgate.core.registration.endpoint import needs_secret
from authgate.core.security_events import EventKind
from authgate.core.types import PUBLIC_AUTH_METHOD, Client, ClientMetadata
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
    methods = (body.token_endpoint_auth_method, *body.additional_token_endpoint_auth_methods)
    registration_checks.check_keys(
        methods, body.jwks, body.jwks_uri, body.token_endpoint_auth_signing_alg, config
    )
    algs = ctx.services.keys.algorithms
    registration_checks.check_signing_algs(
        body.id_token_signed_response_alg, body.access_token_signing_alg, config, algs
    )
    request_objects.check_request_object_alg(
        body.request_object_signing_alg,
        body.require_signed_request_object,
        body.jwks,
        body.jwks_uri,
        config,
    )
    request_objects.check_signed_response_algs(
        {
            "introspection_signed_response_alg": body.introspection_signed_response_alg,
            "authorization_signed_response_alg": body.authorization_signed_response_alg,
            "userinfo_signed_response_alg": body.userinfo_signed_response_alg,
        },
        config,
        algs,
    )
    _encrypted(body, config)
    registration_checks.check_logout_uris(
        [u for u in body.backchannel_logout_uri if u],
        body.post_logout_redirect_uris,
        body.application_type,
        config,
        frontchannel=body.frontchannel_logout_uri,
        redirects=body.redirect_uris,
    )
    missing = sorted(set(body.scope) - known_scopes)
    if missing:
        raise InvalidClientMetadata(f"scope: unknown scope(s) {missing}; create them first")


def _metadata(body: ClientIn, config: AppConfiguration, base: ClientMetadata) -> ClientMetadata:
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
        subject_type=body.subject_type or config.defaultSubjectType,
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
        backchannel_logout_uri=tuple(u for u in body.backchannel_logout_uri if u),
        backchannel_logout_session_required=body.backchannel_logout_session_required,
        jwks=body.jwks,
        jwks_uri=body.jwks_uri,
        token_endpoint_auth_signing_alg=body.token_endpoint_auth_signing_alg,
        id_token_signed_response_alg=(
            body.id_token_signed_response_alg or config.defaultSignatureAlgorithm
        ),
        access_token_signing_alg=body.access_token_signing_alg or config.defaultSignatureAlgorithm,
        access_token_as_jwt=body.access_token_as_jwt,
        require_par=body.require_par,
        par_lifetime=body.par_lifetime,
        default_max_age=body.default_max_age,
        require_auth_time=body.require_auth_time,
        default_acr_values=tuple(body.default_acr_values),
        request_object_signing_alg=body.request_object_signing_alg,
        require_signed_request_object=body.require_signed_request_object,
        introspection_signed_response_alg=body.introspection_signed_response_alg,
        authorization_signed_response_alg=body.authorization_signed_response_alg,
        userinfo_signed_response_alg=body.userinfo_signed_response_alg,
        authorization_details_types=request_objects.check_detail_types(
            body.authorization_details_types, config.authorizationDetailsTypesSupported
        ),
        sector_identifier_uri=body.sector_identifier_uri or None,
        **_encrypted(body, config),
    )


def _encrypted(body: ClientIn, config: AppConfiguration) -> request_objects.EncryptedResponses:
    """The encrypted responses the client asks for, checked, ``enc`` filled in."""
    members = body.model_dump(include=set(request_objects.ENCRYPTED_RESPONSE_MEMBERS))
    return request_objects.check_encryption(members, body.jwks, body.jwks_uri, config)


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
        metadata = _metadata(body, config, ClientMetadata())
        await sector.verify(metadata, self._ctx.services)
        secret = new_handle() if needs_secret(metadata) else None
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
        token) are kept; a client that starts authenticating with a secret gets one, a
        client that stops (public, or private_key_jwt only) loses its secret."""
        current = await self.get(client_id)
        _check(body, await self._known_scopes(), self._ctx)
        config = self._ctx.services.config.current
        metadata = _metadata(body, config, current.metadata)
        await sector.verify(metadata, self._ctx.services)
        secret = None
        secret_hash = current.secret_hash
        if not needs_secret(metadata):
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
