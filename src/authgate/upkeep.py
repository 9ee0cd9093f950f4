"""Background upkeep of signing keys: the first start and the rotation schedule of
:mod:`authgate.crypto.rotation`. (Expired rows are purged by :mod:`authgate.storage.janitor`.)

Several instances may share one database. Key generation is done by whichever instance holds
the ``signing-keys`` lease; storing a successor is additionally a compare-and-set on the keys
it supersedes, so even two generators could not both rotate one key. After storing keys it
announces the change (:mod:`authgate.changes`): other processes load them within
milliseconds, or at their next poll, in any case well before the new key signs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from authgate.changes import KEYS, ChangePublisher, NoChangePublisher
from authgate.core.ports import Clock, ConfigSource
from authgate.crypto.keys import KeyRing, StoredKey, generate_key
from authgate.crypto.rotation import NewKey, Schedule, expired, plan, retire_at
from authgate.storage.clients import SqlClientStore
from authgate.storage.configuration import SqlKeyStore
from authgate.storage.leases import SqlLeaseStore

logger = logging.getLogger(__name__)
LEASE = "signing-keys"
LEASE_TTL = 120.0
BOOTSTRAP_WAIT = 60.0
CLIENT_PAGE = 500


class KeyUpkeep:
    """Creates signing keys when the schedule says so."""

    def __init__(
        self,
        *,
        store: SqlKeyStore,
        leases: SqlLeaseStore,
        clients: SqlClientStore,
        config: ConfigSource,
        clock: Clock,
        publish_delay: int,
        changes: ChangePublisher | None = None,
    ) -> None:
        self._store = store
        self._changes = changes or NoChangePublisher()
        self._leases = leases
        self._clients = clients
        self._config = config
        self._clock = clock
        self._publish_delay = publish_delay
        self._holder = uuid.uuid4().hex

    def schedule(self) -> Schedule:
        config = self._config.current
        return Schedule(
            algorithms=config.signing_algorithms,
            regenerate=config.keyRegenerationEnabled,
            interval=config.keyRegenerationInterval * 3600,
            publish_delay=self._publish_delay,
        )

    async def bootstrap(self) -> list[StoredKey]:
        """The stored keys, after creating a first key for each algorithm that has none.

        Raises:
            RuntimeError: another instance holds the lease and no keys appear in time.
        """
        deadline = self._clock.now() + BOOTSTRAP_WAIT
        while True:
            keys = await self._store.all()
            now = int(self._clock.now())
            missing = [a for a in plan(keys, self.schedule(), now) if a.activates_at is None]
            if not missing:
                return keys
            if await self._leases.try_acquire(LEASE, self._holder, now, LEASE_TTL):
                await self._apply(missing, now)
                continue
            if self._clock.now() > deadline:
                raise RuntimeError("no signing keys: another instance holds the key lease")
            await asyncio.sleep(0.2)

    async def tick(self, keyring: KeyRing) -> bool:
        """Carry out what is due; True when the stored keys changed (reload the ring)."""
        now = int(self._clock.now())
        schedule = self.schedule()
        if not plan(keyring.stored, schedule, now) and not expired(keyring.stored, now):
            return False
        if not await self._leases.try_acquire(LEASE, self._holder, now, LEASE_TTL):
            return False
        await self._apply(plan(await self._store.all(), schedule, now), now)
        await self._store.delete_expired(now)
        await self._changes.publish(KEYS)
        return True

    async def _apply(self, actions: Sequence[NewKey], now: int) -> None:
        """Generate and store the planned keys."""
        retention: int | None = None
        for action in actions:
            key = await asyncio.to_thread(
                generate_key, action.alg, now, activates_at=action.activates_at
            )
            if not action.supersedes:
                await self._store.add(key)
                logger.info("generated signing key %s", key.kid)
                continue
            retention = retention if retention is not None else await self.retention()
            retire = retire_at(action, now, retention)
            if await self._store.rotate(key, action.supersedes, retire):
                logger.info(
                    "generated signing key %s, signing from %s; %s leave the JWKS at %s",
                    key.kid,
                    action.activates_at,
                    ", ".join(action.supersedes),
                    retire,
                )

    async def retention(self) -> int:
        """The longest lifetime of anything a key signs: id_tokens, JWT access tokens
        (clients may set their own access_token_lifetime)."""
        config = self._config.current
        longest = max(config.idTokenLifetime, config.accessTokenLifetime)
        offset = 0
        while True:
            page = await self._clients.list(limit=CLIENT_PAGE, offset=offset)
            for client in page:
                meta = client.metadata
                if meta.access_token_as_jwt and meta.access_token_lifetime:
                    longest = max(longest, meta.access_token_lifetime)
            if len(page) < CLIENT_PAGE:
                return longest
            offset += CLIENT_PAGE
