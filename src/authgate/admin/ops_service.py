"""Use cases on signing keys, login sessions and the audit log.

Key rotation with overlap: a new key is added and signs from then on (the newest key signs);
the keys it replaces stay published in the JWKS until ``retire_at`` = now + the longest
lifetime of anything they signed (id_token or access token) + :data:`ROTATION_MARGIN`, so
every token signed before the rotation still verifies until it expires. Retired keys are
deleted at the next rotation. Other instances load the new key within
``config_poll_interval`` seconds; the margin covers tokens they sign meanwhile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import NotFound
from authgate.crypto.keys import StoredKey, generate_rsa_key
from authgate.storage.admin_sessions import SessionView
from authgate.storage.audit import AuditEntry, AuditRecord

ROTATION_MARGIN = 300

KeyStatus = Literal["signing", "retiring", "retired"]


@dataclass(frozen=True, slots=True)
class KeyView:
    """A signing key's public half and lifecycle state (never the private key)."""

    kid: str
    alg: str
    created_at: int
    expires_at: int | None
    status: KeyStatus
    jwk: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rotation:
    signing_kid: str
    retiring: tuple[str, ...]
    removed: tuple[str, ...]
    retire_at: int


def _status(key: StoredKey, signing_kid: str, now: float) -> KeyStatus:
    if key.kid == signing_kid:
        return "signing"
    if key.expires_at is not None and key.expires_at <= now:
        return "retired"
    return "retiring"


def _newest(keys: list[StoredKey]) -> StoredKey:
    """The key :class:`authgate.crypto.keys.KeyRing` signs with."""
    return max(keys, key=lambda k: (k.created_at, k.kid))


class KeyAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def list(self) -> list[KeyView]:
        keys = await self._ctx.key_store.all()
        if not keys:
            return []
        signing = _newest(keys).kid
        public = {k["kid"]: k for k in self._ctx.services.keys.jwks()["keys"]}
        now = self._ctx.now()
        return [
            KeyView(
                k.kid,
                k.alg,
                k.created_at,
                k.expires_at,
                _status(k, signing, now),
                public.get(k.kid, {}),
            )
            for k in sorted(keys, key=lambda k: (-k.created_at, k.kid))
        ]

    async def rotate(self, actor: Actor) -> Rotation:
        """Add a new signing key; schedule the others to leave the JWKS after the overlap."""
        now = int(self._ctx.now())
        existing = await self._ctx.key_store.all()
        # strictly newer than every key, so the new key is the one that signs
        created = max([now, *(k.created_at + 1 for k in existing)])
        key = await asyncio.to_thread(generate_rsa_key, created)
        config = self._ctx.services.config.current
        overlap = max(config.idTokenLifetime, config.accessTokenLifetime) + ROTATION_MARGIN
        retire_at = now + overlap
        retiring = tuple(k.kid for k in existing if k.expires_at is None)
        entry = AuditEntry(
            actor.name,
            "keys.rotate",
            "key",
            key.kid,
            float(now),
            {"signing_kid": _newest(existing).kid if existing else None},
            {"signing_kid": key.kid, "retiring": list(retiring), "retire_at": retire_at},
        )
        removed = await self._ctx.keys.rotate(key, retire_at, entry)
        await self._ctx.reload()
        return Rotation(key.kid, retiring, tuple(removed), retire_at)


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
