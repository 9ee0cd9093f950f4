"""Use cases on signing keys, login sessions, the audit log and the security events.

Key rotation follows the schedule of :mod:`authgate.crypto.rotation`, triggered now instead
of after ``keyRegenerationInterval``: for each signing algorithm a new key is published at
once and signs from now + the publish delay (every instance and JWKS cache has seen it by
then); the keys it supersedes keep signing until then and stay in the JWKS until every token
they signed has expired (the longest id_token or JWT access token lifetime, plus a margin).
Keys whose time has passed are deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import Conflict, NotFound
from authgate.admin_records import AuditEntry, AuditRecord, SessionView
from authgate.changes import KEYS
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.crypto.keys import StoredKey, generate_key
from authgate.crypto.rotation import NewKey, expired, retire_at
from authgate.errors import InvalidRequest

KeyStatus = Literal["signing", "next", "retiring", "retired"]


@dataclass(frozen=True, slots=True)
class KeyView:
    """A signing key's public half and lifecycle state (never the private key)."""

    kid: str
    alg: str
    created_at: int
    signs_from: int
    expires_at: int | None
    status: KeyStatus
    jwk: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Successor:
    alg: str
    kid: str
    signs_from: int
    retiring: tuple[str, ...]
    retire_at: int | None


@dataclass(frozen=True, slots=True)
class Rotation:
    keys: tuple[Successor, ...]
    removed: tuple[str, ...]


def signing_kids(keys: Sequence[StoredKey], now: float) -> set[str]:
    """The key that signs each algorithm at ``now`` (the rule of the key ring)."""
    best: dict[str, StoredKey] = {}
    for k in keys:
        if k.signs_from > now or not k.published(now):
            continue
        current = best.get(k.alg)
        if current is None or (k.signs_from, k.created_at, k.kid) > (
            current.signs_from, current.created_at, current.kid
        ):  # fmt: skip
            best[k.alg] = k
    return {k.kid for k in best.values()}


def _status(key: StoredKey, signing: set[str], now: float) -> KeyStatus:
    if key.kid in signing:
        return "signing"
    if not key.published(now):
        return "retired"
    return "next" if key.signs_from > now else "retiring"


def successors(keys: Sequence[StoredKey], algorithms: Sequence[str], now: int,
               delay: int) -> list[NewKey]:  # fmt: skip
    """One new key per algorithm, unless a successor is already waiting to sign."""
    plans = []
    for alg in algorithms:
        mine = [k for k in keys if k.alg == alg and k.published(now)]
        if any(k.signs_from > now for k in mine):
            continue
        supersedes = tuple(k.kid for k in mine if k.expires_at is None)
        plans.append(NewKey(alg, now + delay if mine else None, supersedes))
    return plans


class KeyAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def list(self) -> list[KeyView]:
        keys = await self._ctx.key_store.all()
        now = self._ctx.now()
        signing = signing_kids(keys, now)
        public = {k["kid"]: k for k in self._ctx.services.keys.jwks()["keys"]}
        return [
            KeyView(
                k.kid,
                k.alg,
                k.created_at,
                k.signs_from,
                k.expires_at,
                _status(k, signing, now),
                public.get(k.kid, {}),
            )
            for k in sorted(keys, key=lambda k: (-k.created_at, k.kid))
        ]

    async def rotate(self, actor: Actor) -> Rotation:
        """Publish a successor for every signing algorithm (see the module docstring).

        Raises:
            Conflict: successors are already waiting to sign, or another instance rotated
                the same keys concurrently.
        """
        keys = self._ctx.key_schedule
        schedule = keys.schedule()
        now = int(self._ctx.now())
        existing = await self._ctx.key_store.all()
        plans = successors(existing, schedule.algorithms, now, schedule.publish_delay)
        if not plans:
            raise Conflict("New signing keys are already published and waiting to sign")
        retention = await keys.retention()
        made = []
        for plan in plans:
            key = await asyncio.to_thread(
                generate_key, plan.alg, now, activates_at=plan.activates_at
            )
            retire = retire_at(plan, now, retention) if plan.supersedes else None
            made.append((key, plan.supersedes, retire))
        result = Rotation(
            tuple(Successor(k.alg, k.kid, k.signs_from, tuple(old), retire)
                  for k, old, retire in made),
            tuple(expired(existing, now)),
        )  # fmt: skip
        entry = AuditEntry(
            actor.name,
            "keys.rotate",
            "key",
            ",".join(s.kid for s in result.keys),
            float(now),
            None,
            {"keys": [_plain(s) for s in result.keys], "removed": list(result.removed)},
        )
        if not await self._ctx.keys.rotate(made, entry):
            raise Conflict("The signing keys changed concurrently; try again")
        await self._ctx.reloaded(KEYS)
        return result


def _plain(s: Successor) -> dict[str, Any]:
    return {"alg": s.alg, "kid": s.kid, "signs_from": s.signs_from, "retiring": list(s.retiring),
            "retire_at": s.retire_at}  # fmt: skip


class SessionAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def list(
        self, user_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[SessionView]:
        return await self._ctx.sessions.list(
            self._ctx.now(), user_id=user_id, limit=limit, offset=offset
        )

    async def revoke(self, sid: str, actor: Actor) -> None:
        """End a login session and revoke the tokens issued under it."""
        entry = AuditEntry(actor.name, "session.revoke", "session", sid, self._ctx.now())
        if not await self._ctx.sessions.revoke(sid, entry):
            raise NotFound(f"No live session {sid!r}")


class AuditAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def list(
        self, limit: int = 50, offset: int = 0, target_type: str | None = None
    ) -> list[AuditRecord]:
        return await self._ctx.audit.list(limit=limit, offset=offset, target_type=target_type)


class EventAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def list(
        self, limit: int = 50, offset: int = 0, kind: str | None = None
    ) -> list[SecurityEvent]:
        """The newest security events first, optionally of one kind.

        Raises:
            InvalidRequest: ``kind`` is not a kind of event this server records.
        """
        if kind is not None and kind not in set(EventKind):
            known = ", ".join(sorted(EventKind))
            raise InvalidRequest(f"kind: unknown event kind; known kinds: {known}")
        return await self._ctx.services.events.list(limit=limit, offset=offset, kind=kind)
