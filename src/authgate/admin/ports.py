"""What the admin use cases need from storage and from the key upkeep, as Protocols.

The use cases (:mod:`authgate.admin.service` and its parts) see only these and the core's
ports (:class:`authgate.core.ports.Services`); the concrete stores of :mod:`authgate.storage`
satisfy them structurally and are built in the composition root (:mod:`authgate.assembly`).
Every mutation is one transaction with its :class:`~authgate.admin_records.AuditEntry`: the
change and the audit entry are committed together or not at all.

Writes that would duplicate an id or a unique name raise
:class:`authgate.errors.AlreadyExists` (nothing written); a store maps its database's own
constraint error to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from authgate.admin_records import AuditEntry, AuditRecord, FailureView, SessionView
from authgate.core.federation.model import Provider
from authgate.core.types import AppRevocation, Client, InitialAccessToken, Scope, User
from authgate.crypto.keys import StoredKey
from authgate.crypto.rotation import Schedule


class ConfigurationStore(Protocol):
    async def load(self) -> tuple[int, dict[str, Any]] | None:
        """The stored configuration document and its revision (None before the first start)."""
        ...


class KeyStore(Protocol):
    async def all(self) -> list[StoredKey]:
        """Every stored signing key, private halves included."""
        ...


class AdminStore(Protocol):
    """Administrative writes to configuration, clients, scopes and users, and the searches
    only administration needs. ``bool`` results are False when the target was gone (or, for
    ``save_config``, when the revision moved on): nothing was written."""

    async def bootstrap(
        self, scopes: list[Scope], client: Client | None, audit: AuditEntry
    ) -> bool:
        """Add scopes and a client at once; False (nothing written) if any already exists."""
        ...

    async def save_config(
        self, document: dict[str, Any], expected_revision: int, audit: AuditEntry
    ) -> bool:
        """Compare-and-set the configuration document on its revision."""
        ...

    async def search_clients(self, pattern: str | None, limit: int, offset: int) -> list[Client]:
        """Clients whose name or id contains ``pattern`` (case-insensitive), by name."""
        ...

    async def add_client(self, client: Client, audit: AuditEntry) -> None: ...
    async def replace_client(self, client: Client, audit: AuditEntry) -> bool: ...
    async def delete_client(self, client_id: str, audit: AuditEntry) -> bool:
        """Delete the client and revoke every token issued to it."""
        ...

    async def get_scope(self, scope_id: str) -> Scope | None: ...
    async def add_scope(self, scope: Scope, audit: AuditEntry) -> None: ...
    async def replace_scope(self, scope: Scope, audit: AuditEntry) -> bool: ...
    async def delete_scope(self, scope_id: str, audit: AuditEntry) -> bool: ...

    async def search_users(self, pattern: str | None, limit: int, offset: int) -> list[User]:
        """Users whose username, id, email or name contains ``pattern``, by username."""
        ...

    async def add_user(self, user: User, audit: AuditEntry) -> None: ...
    async def replace_user(self, user: User, audit: AuditEntry) -> bool:
        """Store every member of ``user``; a disabled user also loses its sessions and tokens."""
        ...


class AdminAccounts(Protocol):
    """Administrative changes to a user's approved apps, with their audit entries."""

    async def revoke_grant(self, user_id: str, client_id: str, audit: AuditEntry) -> AppRevocation:
        """Delete the user's consent for the client and revoke the client's live tokens for
        the user in one transaction (as ``core.ports.AccountStore.revoke_approval``), then
        write the audit entry if anything was revoked."""
        ...

    async def record(self, audit: AuditEntry) -> None:
        """Write an audit entry on its own (after a change made through the core's ports)."""
        ...


class AdminSessions(Protocol):
    async def list(
        self, now: float, *, user_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[SessionView]:
        """Live (not ended, not expired) login sessions, newest login first."""
        ...

    async def revoke(self, sid: str, audit: AuditEntry) -> bool:
        """End the session and revoke every token issued under it; False if there is none."""
        ...


class AdminKeys(Protocol):
    async def rotate(
        self, successors: Sequence[tuple[StoredKey, Sequence[str], int | None]], audit: AuditEntry
    ) -> bool:
        """Delete expired keys, add each successor and give the keys it supersedes their
        expiry. False (nothing written) when another writer superseded one of them first."""
        ...


class AdminInitialTokens(Protocol):
    """The administrative writes on initial access tokens, each with its audit entry (reads go
    through :class:`authgate.core.ports.InitialAccessTokenStore`)."""

    async def issue(self, token: InitialAccessToken, audit: AuditEntry) -> None:
        """Store a new token (its hash only)."""
        ...

    async def withdraw(self, token_id: str, now: float, audit: AuditEntry) -> bool:
        """Revoke the token; False (nothing written) if there is none or it was revoked."""
        ...


class AuditLog(Protocol):
    async def list(
        self, *, limit: int = 50, offset: int = 0, target_type: str | None = None
    ) -> list[AuditRecord]:
        """Audit records, newest first."""
        ...


class AdminFailures(Protocol):
    """Brute-force protection's failure counters (``core.ports.FailureStore`` writes them)."""

    async def list(
        self,
        since: float,
        *,
        family: str | None = None,
        exclude: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[FailureView]:
        """Live counters (as ``FailureStore`` defines them for ``since``), the most recent
        failure first; of one ``family``, or of every family but ``exclude``."""
        ...

    async def clear(self, matches: Sequence[Mapping[str, str]], audit: AuditEntry) -> int:
        """Delete the counters whose ``family``/``subject``/``source`` equal those of one of
        ``matches`` (each naming at least one), in one transaction with the audit entry;
        returns how many were deleted."""
        ...


class KeySchedule(Protocol):
    """The signing key schedule in force (:class:`authgate.upkeep.KeyUpkeep`)."""

    def schedule(self) -> Schedule: ...
    async def retention(self) -> int:
        """How long a superseded key must stay published: the longest lifetime of anything
        it can have signed, in seconds."""
        ...


class AdminFederation(Protocol):
    """The administrative writes on upstream identity providers and their links, each with
    its audit entry (reads go through :class:`authgate.core.ports.FederationStore`)."""

    async def add_provider(self, provider: Provider, audit: AuditEntry) -> None:
        """Raises AlreadyExists when the alias is taken (nothing written)."""
        ...

    async def replace_provider(self, provider: Provider, audit: AuditEntry) -> bool: ...
    async def delete_provider(self, alias: str, audit: AuditEntry) -> bool:
        """Delete the provider and every link to it."""
        ...

    async def remove_link(self, alias: str, subject: str, audit: AuditEntry) -> bool: ...
