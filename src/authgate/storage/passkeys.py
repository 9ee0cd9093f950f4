"""Users' passkeys (implements ``core.ports.PasskeyStore``).

A use is a compare-and-set on the signature counter (``WHERE sign_count = :expected``): of
two assertions racing with one counter value one is recorded, and a passkey removed between
its verification and this write is not touched (the caller refuses the sign-in). Rename and
remove name the owner as well as the credential id, so a user can only touch their own.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import bindparam, delete, insert, select, update

from authgate.core.passkeys.credential import PasskeyCredential
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import PASSKEYS

_passkeys = PASSKEYS
_COLUMNS = tuple(c.name for c in _passkeys.columns)

INSERT = insert(_passkeys).values({name: bindparam(name) for name in _COLUMNS})
GET = select(_passkeys).where(_passkeys.c.credential_id == bindparam("credential_id"))
FOR_USER = (
    select(_passkeys)
    .where(_passkeys.c.user_id == bindparam("user_id"))
    .order_by(_passkeys.c.created_at, _passkeys.c.credential_id)
)
RECORD_USE = (
    update(_passkeys)
    .where(
        _passkeys.c.credential_id == bindparam("credential_id"),
        _passkeys.c.sign_count == bindparam("expected_count"),
    )
    .values(
        sign_count=bindparam("sign_count"),
        backup_state=bindparam("backup_state"),
        last_used_at=bindparam("now"),
    )
)
_OWNED = (
    _passkeys.c.credential_id == bindparam("credential_id"),
    _passkeys.c.user_id == bindparam("user_id"),
)
RENAME = update(_passkeys).where(*_OWNED).values(name=bindparam("name"))
REMOVE = delete(_passkeys).where(*_OWNED)


def _params(credential: PasskeyCredential) -> dict[str, Any]:
    return {
        "credential_id": credential.credential_id,
        "user_id": credential.user_id,
        "public_key": credential.public_key,
        "sign_count": credential.sign_count,
        "user_handle": credential.user_handle,
        "name": credential.name,
        "transports": orjson.dumps(list(credential.transports)).decode(),
        "created_at": credential.created_at,
        "last_used_at": credential.last_used_at,
        "backup_eligible": credential.backup_eligible,
        "backup_state": credential.backup_state,
        "aaguid": credential.aaguid,
    }


def _credential(row: Row) -> PasskeyCredential:
    transports = row["transports"]
    used = row["last_used_at"]
    return PasskeyCredential(
        credential_id=row["credential_id"],
        user_id=row["user_id"],
        public_key=row["public_key"],
        sign_count=int(row["sign_count"]),
        user_handle=row["user_handle"],
        name=row["name"],
        created_at=float(row["created_at"]),
        transports=tuple(orjson.loads(transports) if isinstance(transports, str) else transports),
        last_used_at=None if used is None else float(used),
        backup_eligible=bool(row["backup_eligible"]),
        backup_state=bool(row["backup_state"]),
        aaguid=row["aaguid"],
    )


class SqlPasskeyStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, credential: PasskeyCredential) -> bool:
        """False (nothing written) if the credential id is taken or the user does not exist."""
        try:
            await self._db.transact([Step(INSERT, _params(credential))])
        except IntegrityViolation:
            return False
        return True

    async def get(self, credential_id: str) -> PasskeyCredential | None:
        row = await self._db.fetch_one(GET, {"credential_id": credential_id})
        return None if row is None else _credential(row)

    async def for_user(self, user_id: str) -> list[PasskeyCredential]:
        rows = await self._db.fetch_all(FOR_USER, {"user_id": user_id})
        return [_credential(row) for row in rows]

    async def record_use(
        self,
        credential_id: str,
        *,
        expected_count: int,
        sign_count: int,
        backup_state: bool,
        now: float,
    ) -> bool:
        params = {
            "credential_id": credential_id,
            "expected_count": expected_count,
            "sign_count": sign_count,
            "backup_state": backup_state,
            "now": now,
        }
        return (await self._db.transact([Step(RECORD_USE, params, expect=1)])).applied

    async def rename(self, user_id: str, credential_id: str, name: str) -> bool:
        params = {"user_id": user_id, "credential_id": credential_id, "name": name}
        return (await self._db.transact([Step(RENAME, params, expect=1)])).applied

    async def remove(self, user_id: str, credential_id: str) -> bool:
        params = {"user_id": user_id, "credential_id": credential_id}
        return (await self._db.transact([Step(REMOVE, params, expect=1)])).applied
