"""Mailed self-service links (``core.ports.EmailLinkStore``), as
:mod:`authgate.storage.email_links` keeps them."""

from __future__ import annotations

import dataclasses

from authgate.core.types import EmailLink
from tests.memory.stores.tables import Tables, require_new


class MemoryEmailLinkStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, link: EmailLink) -> None:
        """Raises IntegrityViolation for a link_hash already taken."""
        require_new(self._t.email_links, [link.link_hash], "email_links")
        self._t.email_links[link.link_hash] = link

    async def get(self, link_hash: str) -> EmailLink | None:
        return self._t.email_links.get(link_hash)

    async def sent_since(self, email: str, since: float) -> int:
        wanted = email.lower()
        return sum(
            1
            for link in self._t.email_links.values()
            if link.email.lower() == wanted and link.created_at >= since
        )

    def _usable(self, link_hash: str, purpose: str, now: float) -> EmailLink | None:
        link = self._t.email_links.get(link_hash)
        if link is None or link.purpose != purpose or link.used_at is not None:
            return None
        if link.expires_at <= now or link.user_id not in self._t.users:
            return None
        return link

    async def verify_email(self, link_hash: str, now: float) -> EmailLink | None:
        link = self._usable(link_hash, "verify", now)
        if link is None:
            return None
        used = dataclasses.replace(link, used_at=now)
        self._t.email_links[link_hash] = used
        user = self._t.users[link.user_id]
        self._t.users[user.user_id] = dataclasses.replace(
            user, email=link.email, email_verified=True
        )
        return used

    async def reset_password(
        self, link_hash: str, password_hash: str, now: float
    ) -> EmailLink | None:
        link = self._usable(link_hash, "reset", now)
        if link is None:
            return None
        user = self._t.users[link.user_id]
        self._t.users[user.user_id] = dataclasses.replace(user, password_hash=password_hash)
        for key, token in list(self._t.tokens.items()):
            if token.user_id == user.user_id and token.revoked_at is None:
                self._t.tokens[key] = dataclasses.replace(token, revoked_at=now)
        for key, other in list(self._t.email_links.items()):
            if other.user_id == user.user_id and other.purpose == "reset" and other.used_at is None:
                self._t.email_links[key] = dataclasses.replace(other, used_at=now)
        return self._t.email_links[link_hash]
