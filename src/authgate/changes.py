"""Changes other processes must hear of at once: what a change notice names, and what this
process does when one arrives.

Every process keeps a few things in memory: decoded clients and the scopes (read caches of
:mod:`authgate.storage.clients` and :mod:`authgate.storage.users`), the configuration
document and the signing keys (:mod:`authgate.runtime`). When one process changes one of
them, it announces the change after its commit, naming a *topic*; every process sharing the
database (other instances on PostgreSQL, other workers on one SQLite file) applies it within
milliseconds through :mod:`authgate.storage.change_feed`. The periodic poll of the
configuration and keys and the caches' short lifetimes stay as the fallback when a notice is
lost (a dropped connection, a crash between commit and notice).

Users, login sessions and tokens are not cached: every request reads them from the
database, so disabling a user or ending a session needs no notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from authgate.core.ports import ClientStore, ScopeStore

logger = logging.getLogger(__name__)

#: The configuration document changed.
CONFIG = "config"
#: The signing keys changed (added, rotated, retired).
KEYS = "keys"
#: A scope was added, changed or deleted.
SCOPES = "scopes"
#: Any client may have changed (a bulk change).
CLIENTS = "clients"
_CLIENT = "client:"
#: The longest topic a notice carries; a longer one is announced as :data:`CLIENTS`.
MAX_TOPIC = 255


def client_topic(client_id: str) -> str:
    """The topic of a change to one client (updated, disabled, deleted)."""
    topic = _CLIENT + client_id
    return topic if len(topic) <= MAX_TOPIC else CLIENTS


class ChangePublisher(Protocol):
    """Announces committed changes to every process sharing the database."""

    async def publish(self, *topics: str) -> None:
        """Announce ``topics``; never raises (a lost notice is caught up by the poll)."""
        ...


class NoChangePublisher:
    """The publisher of a process alone on its database (tests, tools)."""

    async def publish(self, *topics: str) -> None:
        return None


class ChangeApplier:
    """Applies change notices to this process's caches.

    Called by the change feed with the topics of a notice, or with ``None`` when notices
    may have been missed (the listening connection dropped): then every cache is dropped and
    the configuration and keys are reloaded. Cache drops happen at once; a reload runs as a
    task, one at a time, and once more if asked again meanwhile.
    """

    def __init__(
        self,
        clients: ClientStore,
        scopes: ScopeStore,
        reload: Callable[[], Awaitable[None]],
    ) -> None:
        self._clients = clients
        self._scopes = scopes
        self._reload = reload
        self._reloading: asyncio.Task[None] | None = None
        self._again = False
        #: Notices applied so far (tests, diagnostics).
        self.applied = 0

    def apply(self, topics: Iterable[str] | None) -> None:
        self.applied += 1
        if topics is None:
            self._clients.forget()
            self._scopes.forget()
            self._schedule_reload()
            return
        for topic in topics:
            if topic.startswith(_CLIENT):
                self._clients.forget(topic[len(_CLIENT) :])
            elif topic == CLIENTS:
                self._clients.forget()
            elif topic == SCOPES:
                self._scopes.forget()
            elif topic in (CONFIG, KEYS):
                self._schedule_reload()
            else:
                logger.debug("ignoring change notice %r", topic[:80])

    def _schedule_reload(self) -> None:
        if self._reloading is not None and not self._reloading.done():
            self._again = True
            return
        self._reloading = asyncio.get_running_loop().create_task(self._reload_until_current())

    async def _reload_until_current(self) -> None:
        while True:
            self._again = False
            try:
                await self._reload()
            except Exception:  # the poll tries again; keep serving what is loaded
                logger.exception("reloading configuration and keys after a change notice failed")
            if not self._again:
                return

    async def close(self) -> None:
        """Cancel a reload in progress."""
        task = self._reloading
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
