"""Use cases on initial access tokens (RFC 7591 §3): issue, list, revoke.

A token registers up to ``max_uses`` clients until it expires, while
``dynamicRegistrationPolicy`` is ``initial_access_token``. Its value is a random handle
returned once, by :meth:`InitialTokenAdmin.issue`; only its hash is stored, and neither the
value nor the hash reaches a listing, the audit log or the log.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import NotFound
from authgate.admin.schemas import InitialTokenIn
from authgate.admin_records import AuditEntry
from authgate.core.types import InitialAccessToken
from authgate.crypto.handles import handle_hash, new_handle

logger = logging.getLogger(__name__)
TARGET = "initial_access_token"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued and its value, which nothing keeps: show it once."""

    token: InitialAccessToken
    value: str


def _described(token: InitialAccessToken) -> dict[str, object]:
    """What the audit log records of a token: never its value or hash."""
    return {
        "description": token.description,
        "expires_at": token.expires_at,
        "max_uses": token.max_uses,
    }


class InitialTokenAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def issue(self, body: InitialTokenIn, actor: Actor) -> IssuedToken:
        """Create a token; its value is in the result and nowhere else."""
        now = self._ctx.now()
        value = new_handle()
        token = InitialAccessToken(
            token_id=str(uuid.uuid4()),
            token_hash=handle_hash(value),
            created_at=now,
            expires_at=now + body.expires_in,
            max_uses=body.max_uses,
            description=body.description,
            created_by=actor.name,
        )
        entry = AuditEntry(
            actor.name, "initial_token.issue", TARGET, token.token_id, now, None, _described(token)
        )
        await self._ctx.initial_tokens.issue(token, entry)
        logger.info("initial access token %s issued by %s", token.token_id, actor.name)
        return IssuedToken(token, value)

    async def list(self, limit: int = 50, offset: int = 0) -> list[InitialAccessToken]:
        """Every token not yet purged (the janitor deletes expired ones), newest first."""
        return await self._ctx.services.initial_tokens.list(limit, offset)

    async def revoke(self, token_id: str, actor: Actor) -> None:
        """Revoke a token: no registration can use it any more, on any instance.

        Raises:
            NotFound: no such token, or it was revoked already.
        """
        now = self._ctx.now()
        entry = AuditEntry(
            actor.name, "initial_token.revoke", TARGET, token_id, now, None, {"revoked_at": now}
        )
        if not await self._ctx.initial_tokens.withdraw(token_id, now, entry):
            raise NotFound(f"No active initial access token {token_id!r}")
        logger.info("initial access token %s revoked by %s", token_id, actor.name)
