"""Mailed self-service links (implements ``core.ports.EmailLinkStore``).

Single use holds under concurrency on both databases by the guard of §5.2 of
docs/architecture.md: a link is used only by the write unit whose
``UPDATE ... WHERE link_hash = :h AND used_at IS NULL AND expires_at > :now`` touched exactly
one row; the change it carries (the verified address, the new password) is in the same unit,
so it is applied once or not at all.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import bindparam, func, insert, select, true, update

from authgate.core.types import EmailLink
from authgate.storage.engine import Database, Row, Step
from authgate.storage.models import EMAIL_LINKS, TOKENS, USERS

_links = EMAIL_LINKS
_users = USERS
_tokens = TOKENS
_FIELDS = [f.name for f in dataclasses.fields(EmailLink)]

INSERT_LINK = insert(_links).values({c: bindparam(c) for c in _FIELDS})
GET_LINK = select(_links).where(_links.c.link_hash == bindparam("link_hash"))
SENT_SINCE = (
    select(func.count())
    .select_from(_links)
    .where(
        func.lower(_links.c.email) == func.lower(bindparam("email")),
        _links.c.created_at >= bindparam("since"),
    )
)
USE_LINK = (
    update(_links)
    .where(
        _links.c.link_hash == bindparam("link_hash"),
        _links.c.purpose == bindparam("purpose"),
        _links.c.used_at.is_(None),
        _links.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
)
SET_VERIFIED_EMAIL = (
    update(_users)
    .where(_users.c.user_id == bindparam("user_id"))
    .values(email=bindparam("email"), email_verified=true())
)
SET_PASSWORD = (
    update(_users)
    .where(_users.c.user_id == bindparam("user_id"))
    .values(password_hash=bindparam("password_hash"))
)
REVOKE_USER_TOKENS = (
    update(_tokens)
    .where(_tokens.c.user_id == bindparam("user_id"), _tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
USE_OTHER_RESETS = (
    update(_links)
    .where(
        _links.c.user_id == bindparam("user_id"),
        _links.c.purpose == "reset",
        _links.c.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
)


def _link(row: Row) -> EmailLink:
    return EmailLink(**{name: row[name] for name in _FIELDS})


class SqlEmailLinkStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, link: EmailLink) -> None:
        await self._db.transact([Step(INSERT_LINK, dataclasses.asdict(link))])

    async def get(self, link_hash: str) -> EmailLink | None:
        row = await self._db.fetch_one(GET_LINK, {"link_hash": link_hash})
        return _link(row) if row else None

    async def sent_since(self, email: str, since: float) -> int:
        row = await self._db.fetch_one(SENT_SINCE, {"email": email, "since": since})
        return int(row[0]) if row else 0  # type: ignore[index]

    async def verify_email(self, link_hash: str, now: float) -> EmailLink | None:
        link = await self.get(link_hash)
        if link is None or link.purpose != "verify":
            return None
        use = {"link_hash": link_hash, "purpose": "verify", "now": now}
        steps = [
            Step(USE_LINK, use, expect=1),
            Step(SET_VERIFIED_EMAIL, {"user_id": link.user_id, "email": link.email}, expect=1),
        ]
        applied = (await self._db.transact(steps)).applied
        return dataclasses.replace(link, used_at=now) if applied else None

    async def reset_password(
        self, link_hash: str, password_hash: str, now: float
    ) -> EmailLink | None:
        link = await self.get(link_hash)
        if link is None or link.purpose != "reset":
            return None
        user = {"user_id": link.user_id, "now": now}
        steps = [
            Step(USE_LINK, {"link_hash": link_hash, "purpose": "reset", "now": now}, expect=1),
            Step(SET_PASSWORD, {"user_id": link.user_id, "password_hash": password_hash}, expect=1),
            Step(REVOKE_USER_TOKENS, user),
            Step(USE_OTHER_RESETS, user),
        ]
        applied = (await self._db.transact(steps)).applied
        return dataclasses.replace(link, used_at=now) if applied else None
