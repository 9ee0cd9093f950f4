"""Use cases on upstream identity providers and federated identities: add (from a preset or
explicit endpoints), list, show, update, remove; list and remove links
(docs/federation.md). Every change is one transaction with its audit entry, which never holds
the client secret; the secret is sealed under the server's sealing key before it is stored.
"""

from __future__ import annotations

import builtins
import dataclasses
import logging
from typing import Any

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import Conflict, NotFound
from authgate.admin.federation_schemas import ProviderIn, ProviderUpdate
from authgate.admin.ports import AdminFederation
from authgate.admin_records import AuditEntry
from authgate.core.federation.model import FederatedIdentity, Provider, sealing_context
from authgate.core.federation.presets import PRESETS
from authgate.core.ports import Federation, SealingKeyUnavailable
from authgate.crypto.sealed import seal
from authgate.errors import AlreadyExists, InvalidRequest, ServerError

logger = logging.getLogger(__name__)
TARGET = "federation_provider"
LINK_TARGET = "federated_identity"
_MEMBERS = tuple(f for f in ProviderUpdate.model_fields if f != "client_secret")


def described(provider: Provider) -> dict[str, Any]:
    """What the audit log records of a provider: never its secret."""
    values = dataclasses.asdict(provider)
    values.pop("client_secret_sealed")
    values["client_secret_set"] = provider.client_secret_sealed is not None
    values["scopes"], values["domains"] = list(provider.scopes), list(provider.domains)
    values["mapping"] = dict(provider.mapping)
    return values


def _checked(provider: Provider) -> Provider:
    if provider.kind == "oidc" and not provider.issuer:
        raise InvalidRequest("An OpenID Connect provider needs an issuer")
    if provider.kind == "oauth2" and not (
        provider.authorization_endpoint and provider.token_endpoint and provider.userinfo_endpoint
    ):
        raise InvalidRequest(
            "An OAuth 2.0 provider needs authorization_endpoint, token_endpoint and "
            "userinfo_endpoint (its user API)"
        )
    if provider.client_auth != "private_key_jwt" and provider.client_secret_sealed is None:
        raise InvalidRequest(f"{provider.client_auth} needs a client_secret")
    return provider


class FederationAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    def _parts(self) -> tuple[Federation, AdminFederation]:
        fed, writes = self._ctx.services.federation, self._ctx.federation
        if fed is None or writes is None:
            raise InvalidRequest("Federation is not available on this server")
        return fed, writes

    def _seal(self, alias: str, secret: str) -> str:
        fed, _ = self._parts()
        try:
            key = fed.sealing_key
        except SealingKeyUnavailable as exc:  # the server's mistake, said to its administrator
            raise ServerError(f"The server's sealing key is unavailable: {exc}") from None
        return seal(key, sealing_context(alias), secret.encode("utf-8"))

    async def list(self) -> builtins.list[Provider]:
        fed, _ = self._parts()
        return await fed.store.providers()

    async def get(self, alias: str) -> Provider:
        fed, _ = self._parts()
        found = await fed.store.provider(alias)
        if found is None:
            raise NotFound(f"No identity provider {alias!r}")
        return found

    async def create(self, body: ProviderIn, actor: Actor) -> Provider:
        _, writes = self._parts()
        now = self._ctx.now()
        base: dict[str, Any] = {}
        if body.preset is not None:
            preset = dataclasses.asdict(PRESETS[body.preset])
            preset.pop("note")
            base = {k: v for k, v in preset.items() if v is not None}
            base["preset"] = body.preset
        given = {k: getattr(body, k) for k in _MEMBERS if getattr(body, k) is not None}
        values = {**base, **given}
        values["kind"] = body.kind or base.get("kind") or "oidc"
        if "client_id" not in values:
            raise InvalidRequest("A provider needs a client_id")
        for name in ("scopes", "domains"):
            if name in values:
                values[name] = tuple(values[name])
        if "domains" in values:
            values["domains"] = tuple(d.lower() for d in values["domains"])
        sealed = self._seal(body.alias, body.client_secret) if body.client_secret else None
        provider = _checked(
            Provider(
                alias=body.alias,
                client_secret_sealed=sealed,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        entry = AuditEntry(
            actor.name, "provider.add", TARGET, provider.alias, now, None, described(provider)
        )
        try:
            await writes.add_provider(provider, entry)
        except AlreadyExists:
            raise Conflict(f"An identity provider {provider.alias!r} exists already") from None
        logger.info("identity provider %s added by %s", provider.alias, actor.name)
        return provider

    async def update(self, alias: str, body: ProviderUpdate, actor: Actor) -> Provider:
        _, writes = self._parts()
        before = await self.get(alias)
        changes: dict[str, Any] = {
            k: getattr(body, k) for k in _MEMBERS if getattr(body, k) is not None
        }
        for name in ("scopes", "domains"):
            if name in changes:
                changes[name] = tuple(changes[name])
        if body.client_secret is not None:
            changes["client_secret_sealed"] = self._seal(alias, body.client_secret)
        after = _checked(dataclasses.replace(before, **changes, updated_at=self._ctx.now()))
        entry = AuditEntry(
            actor.name,
            "provider.update",
            TARGET,
            alias,
            after.updated_at,
            described(before),
            described(after),
        )
        if not await writes.replace_provider(after, entry):
            raise NotFound(f"No identity provider {alias!r}")
        return after

    async def remove(self, alias: str, actor: Actor) -> None:
        _, writes = self._parts()
        before = await self.get(alias)
        entry = AuditEntry(
            actor.name, "provider.remove", TARGET, alias, self._ctx.now(), described(before), None
        )
        if not await writes.delete_provider(alias, entry):
            raise NotFound(f"No identity provider {alias!r}")
        logger.info("identity provider %s removed by %s", alias, actor.name)

    async def links(
        self,
        *,
        user_id: str | None = None,
        alias: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> builtins.list[FederatedIdentity]:
        fed, _ = self._parts()
        return await fed.store.identities(user_id=user_id, alias=alias, limit=limit, offset=offset)

    async def unlink(self, alias: str, subject: str, actor: Actor) -> None:
        fed, writes = self._parts()
        found = await fed.store.identity(alias, subject)
        if found is None:
            raise NotFound("No such federated identity")
        entry = AuditEntry(
            actor.name,
            "identity.unlink",
            LINK_TARGET,
            f"{alias}/{subject}",
            self._ctx.now(),
            {"user_id": found.user_id},
            None,
        )
        if not await writes.remove_link(alias, subject, entry):
            raise NotFound("No such federated identity")
