"""The SQLite write path of one flow, without HTTP: what it costs per flow.

N simulated users each loop over what a flow writes through ``SqlGrantStore``: the code
(with its session-client row) at the authorize step, then its redemption with an access
and a refresh token. The same store, database class and pragmas as the server, on a fresh
file. It reports flows/s through the write path alone, the process's CPU per flow, the
sync thread's share of it (from /proc) and the average number of transactions per commit.
The statements run on the caller's thread here as in the server, but with no HTTP work
competing for that thread, so this bench cannot show what the server gains from not
handing the GIL to a writer thread (see storage/sqlite.py). Changes to
``storage/sqlite.py`` or ``storage/grants.py`` are measured here first: the end-to-end
benchmark's run-to-run spread on a shared machine hides differences of a few percent.

``together=True`` writes each flow as one unit instead: the code's row with its tokens, as a
server would whose codes carry their own state and are recorded only when redeemed. The
server does not do that; this mode prices the idea on the write path (the row's
``consumed_at`` stays empty: eight bytes fewer in the row, the same pages written).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from authgate.core.types import AuthorizationCode, TokenRecord
from authgate.crypto.handles import handle_hash, new_grant_id, new_handle
from authgate.storage.connect import upgrade_sync
from authgate.storage.grants import SqlGrantStore
from authgate.storage.sqlite import SqliteDatabase
from bench.targets import WORK

CLIENT = "bench-storage-client"
SCOPE = ("openid", "profile", "email")


@dataclass
class StorageResult:
    users: int
    flows: int
    flows_per_s: float
    sync_us_per_flow: float
    process_us_per_flow: float
    per_commit: float
    #: write system calls (pwrite of WAL frames and checkpoints, fsync excluded) per flow
    writes_per_flow: float = 0.0
    #: bytes those calls wrote, per flow
    bytes_per_flow: float = 0.0
    #: each flow written as one unit (``measure_storage(together=True)``)
    together: bool = False

    def line(self) -> str:
        return (
            f"storage write path{' (one unit)' if self.together else ''}  "
            f"users={self.users:<3} {self.flows_per_s:8.0f} flows/s  "
            f"sync thread {self.sync_us_per_flow:4.0f} us/flow  "
            f"process {self.process_us_per_flow:4.0f} us/flow  "
            f"{self.per_commit:4.1f} transactions per commit  "
            f"{self.writes_per_flow:4.1f} writes, {self.bytes_per_flow / 1024:5.1f} KiB per flow"
        )


def _io() -> tuple[int, int]:
    """This process's write system calls and the bytes they wrote (/proc/self/io)."""
    with open("/proc/self/io") as io:
        fields = dict(line.split(": ") for line in io.read().splitlines())
    return int(fields["syscw"]), int(fields["wchar"])


def _hash() -> str:
    """A storage key as the server makes them (clock digits, then the handle's hash)."""
    return handle_hash(new_handle())


def _thread_cpu(native_id: int) -> float:
    with open(f"/proc/self/task/{native_id}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _user(
    store: SqlGrantStore, index: int, sid: str, flows: int, together: bool = False
) -> None:
    for _ in range(flows):
        now = time.time()
        grant = new_grant_id()
        code = AuthorizationCode(
            code_hash=_hash(),
            grant_id=grant,
            client_id=CLIENT,
            user_id=f"user{index}",
            redirect_uri="http://127.0.0.1:9/callback",
            redirect_uri_given=True,
            scope=SCOPE,
            issued_at=now,
            expires_at=now + 60,
            auth_time=int(now),
            sid=sid,
            acr="simple_password_auth",
            amr=("pwd",),
            nonce=secrets.token_urlsafe(16),
            code_challenge=secrets.token_urlsafe(32),
            code_challenge_method="S256",
        )
        if not together:
            await store.add_code(code)
        common = {
            "grant_id": grant,
            "client_id": CLIENT,
            "user_id": f"user{index}",
            "scope": SCOPE,
            "issued_at": now,
            "auth_time": int(now),
            "sid": sid,
            "amr": ("pwd",),
        }
        tokens = [
            TokenRecord(_hash(), "access_token", expires_at=now + 300, **common),  # type: ignore[arg-type]
            TokenRecord(
                _hash(),
                "refresh_token",
                expires_at=now + 86400,
                grant_expires_at=now + 86400,
                **common,  # type: ignore[arg-type]
            ),
        ]
        if together:
            await store.add_code(code, tokens)
            await store.get_code(code.code_hash)  # forgets the copy kept for a redemption
        elif not await store.redeem_code(code.code_hash, now, tokens):
            raise RuntimeError("a fresh code could not be redeemed")


async def measure_storage(
    users: int = 32, flows: int = 20_000, *, together: bool = False, folder: Path | None = None
) -> StorageResult:
    """Run ``flows`` flows' writes from ``users`` concurrent users on a fresh database
    (``together``: one unit per flow, see the module docstring) in ``folder``, emptied first
    (default: ``.bench/data/storage``)."""
    folder = folder or WORK / "data" / "storage"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = Path(folder) / "authgate.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    db = SqliteDatabase(str(path))
    try:
        store = SqlGrantStore(db)
        per_user = max(1, flows // users)
        sids = [_hash() for _ in range(users)]
        warm = (_user(store, i, sids[i], 20, together) for i in range(users))
        await asyncio.gather(*warm)
        syncer = db._syncer.native_id
        assert syncer is not None
        batches, transactions = db.batches, db.transactions
        cpu, process, start = _thread_cpu(syncer), time.process_time(), time.perf_counter()
        calls, written = _io()
        await asyncio.gather(*(_user(store, i, sids[i], per_user, together) for i in range(users)))
        elapsed = time.perf_counter() - start
        calls_after, written_after = _io()
        done = per_user * users
        return StorageResult(
            users=users,
            flows=done,
            flows_per_s=done / elapsed,
            sync_us_per_flow=(_thread_cpu(syncer) - cpu) / done * 1e6,
            process_us_per_flow=(time.process_time() - process) / done * 1e6,
            per_commit=(db.transactions - transactions) / max(1, db.batches - batches),
            writes_per_flow=(calls_after - calls) / done,
            bytes_per_flow=(written_after - written) / done,
            together=together,
        )
    finally:
        await db.close()
