"""Upstream providers, federated identities and pending sign-ins
(``core.ports.FederationStore`` and ``admin.ports.AdminFederation``), as
:mod:`authgate.storage.federation` keeps them."""

from __future__ import annotations

import dataclasses

from authgate.admin_records import AuditEntry
from authgate.core.federation.model import FederatedIdentity, PendingSignIn, Provider
from authgate.core.types import User
from authgate.errors import AlreadyExists
from tests.memory.stores.tables import Tables


class MemoryFederationStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables
        self._providers = tables.providers
        self._links = tables.links
        self._pending = tables.pending
        self.audit: list[AuditEntry] = []

    async def providers(self) -> list[Provider]:
        return [self._providers[a] for a in sorted(self._providers)]

    async def provider(self, alias: str) -> Provider | None:
        return self._providers.get(alias)

    async def identity(self, alias: str, subject: str) -> FederatedIdentity | None:
        return self._links.get((alias, subject))

    async def identities(
        self,
        *,
        user_id: str | None = None,
        alias: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FederatedIdentity]:
        found = [
            i
            for i in self._links.values()
            if (user_id is None or i.user_id == user_id) and (alias is None or i.alias == alias)
        ]
        found.sort(key=lambda i: (-i.linked_at, i.alias, i.subject))
        return found[offset : offset + limit]

    def _linkable(self, identity: FederatedIdentity) -> bool:
        return (
            (identity.alias, identity.subject) not in self._links
            and identity.alias in self._providers
            and identity.user_id in self._t.users
        )

    async def link(self, identity: FederatedIdentity) -> bool:
        if not self._linkable(identity):
            return False
        self._links[(identity.alias, identity.subject)] = identity
        return True

    async def unlink(self, alias: str, subject: str, user_id: str | None = None) -> bool:
        found = self._links.get((alias, subject))
        if found is None or (user_id is not None and found.user_id != user_id):
            return False
        del self._links[(alias, subject)]
        return True

    async def touch(self, alias: str, subject: str, now: float) -> None:
        found = self._links.get((alias, subject))
        if found is not None:
            self._links[(alias, subject)] = dataclasses.replace(found, last_used_at=now)

    async def user_by_email(self, email: str) -> User | None:
        found = [u for u in self._t.users.values() if (u.email or "").lower() == email.lower()]
        return found[0] if len(found) == 1 else None

    async def provision(self, user: User, identity: FederatedIdentity) -> bool:
        taken = user.user_id in self._t.users or any(
            u.username == user.username for u in self._t.users.values()
        )
        if taken or (identity.alias, identity.subject) in self._links:
            return False
        if identity.alias not in self._providers:
            return False
        self._t.users[user.user_id] = user
        self._links[(identity.alias, identity.subject)] = identity
        return True

    async def add_pending(self, pending: PendingSignIn) -> None:
        if pending.key in self._pending:
            raise AlreadyExists("pending sign-in exists")
        self._pending[pending.key] = pending

    async def peek_pending(self, key: str, now: float) -> PendingSignIn | None:
        pending = self._pending.get(key)
        return pending if pending is not None and pending.expires_at > now else None

    async def take_pending(self, key: str, now: float) -> PendingSignIn | None:
        pending = self._pending.pop(key, None)
        return pending if pending is not None and pending.expires_at > now else None

    async def purge_pending(self, now: float) -> int:
        gone = [k for k, p in self._pending.items() if p.expires_at <= now]
        for key in gone:
            del self._pending[key]
        return len(gone)

    async def add_provider(self, provider: Provider, audit: AuditEntry) -> None:
        if provider.alias in self._providers:
            raise AlreadyExists(f"A provider {provider.alias!r} exists already")
        self._providers[provider.alias] = provider
        self.audit.append(audit)

    async def replace_provider(self, provider: Provider, audit: AuditEntry) -> bool:
        if provider.alias not in self._providers:
            return False
        self._providers[provider.alias] = provider
        self.audit.append(audit)
        return True

    async def delete_provider(self, alias: str, audit: AuditEntry) -> bool:
        if self._providers.pop(alias, None) is None:
            return False
        for key in [k for k in self._links if k[0] == alias]:
            del self._links[key]
        self.audit.append(audit)
        return True

    async def remove_link(self, alias: str, subject: str, audit: AuditEntry) -> bool:
        if self._links.pop((alias, subject), None) is None:
            return False
        self.audit.append(audit)
        return True
