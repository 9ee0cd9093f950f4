"""Delivering back-channel Logout Tokens (OIDC Back-Channel Logout 1.0 §2.5) in the background.

Each notice is POSTed form-encoded (``logout_token=...``) to its client's
``backchannel_logout_uri``, so the user's logout never waits on a client. Every attempt is
bounded by ``backchannelLogoutDeliveryTimeout`` seconds (connect, send and read together); a
network error, a timeout or a 5xx/408/429 answer is retried, up to
``backchannelLogoutDeliveryAttempts`` attempts with exponential backoff; 200 or 204 is
success; any other answer is final (§2.8: the RP rejected the token). Requests go through
the :class:`~authgate.outbound.client.OutboundClient`: public addresses only unless allowed,
no redirects followed; a refused destination is final too. Implements
``core.ports.LogoutNotifier``.

Nothing is lost on a restart: :meth:`BackchannelLogout.submit` stores the notices (a
:class:`DeliveryStore`, ``storage/logout_deliveries.py``) before it returns, and a delivery
leaves the store only when it is done. The submitting process attempts at once; a failed
attempt writes when the next is due. :meth:`BackchannelLogout.run` (started by the serving
runtime) picks up deliveries that are due and that nobody attempts: retries of a process
that stopped, and deliveries of one that died. Each attempt is taken with a lease
(compare-and-set on the row), so one process delivers each; a process that dies mid-attempt
leaves it to another once the lease (the attempt timeout plus :data:`LEASE_MARGIN`) ends,
which may deliver a token twice, never zero times. A token whose lifetime has passed is
given up, since the client must refuse it (§2.6 checks ``exp``). Giving up, or a refusal, is
logged and recorded as a ``backchannel_logout_failed`` security event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from authgate.core.logout.logout_token import LIFETIME
from authgate.core.ports import ConfigSource, SecurityEventLog
from authgate.core.security_events import EventKind
from authgate.core.types import LogoutDelivery, LogoutNotice, SecurityEvent
from authgate.errors import OutboundError
from authgate.outbound.client import OutboundClient
from authgate.outbound.policy import OutboundRefused

logger = logging.getLogger(__name__)
_RETRY_STATUSES = frozenset({408, 429})
#: Seconds a lease outlasts the attempt timeout.
LEASE_MARGIN = 5.0
#: Seconds between looks for due deliveries that no task of this process handles.
SCAN_INTERVAL = 1.0
#: Deliveries taken per look.
SCAN_BATCH = 100


class DeliveryStore(Protocol):
    """Where deliveries wait (``storage/logout_deliveries.py``)."""

    async def add(self, deliveries: Sequence[LogoutDelivery], holder: str, until: float) -> None:
        """Keep ``deliveries``, taken by ``holder`` until ``until`` (their first attempt)."""
        ...

    async def due(self, now: float, limit: int) -> list[LogoutDelivery]: ...

    async def claim(self, delivery_id: str, holder: str, now: float, until: float) -> bool:
        """Take a due delivery for one attempt; False if it is not due or gone."""
        ...

    async def retry(self, delivery_id: str, holder: str, attempts: int, due_at: float) -> bool:
        """Record a failed attempt; False if ``holder`` no longer has the delivery."""
        ...

    async def finish(self, delivery_id: str, holder: str) -> bool:
        """Forget a delivery that is done."""
        ...


class BackchannelLogout:
    def __init__(
        self,
        client: OutboundClient,
        config: ConfigSource,
        store: DeliveryStore,
        events: SecurityEventLog,
        *,
        backoff: float = 1.0,
        scan_interval: float = SCAN_INTERVAL,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._config = config
        self._store = store
        self._events = events
        #: Seconds before the first retry; doubled for each further one.
        self.backoff = backoff
        self.scan_interval = scan_interval
        self._now = now
        self._holder = uuid.uuid4().hex
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._attempting: set[str] = set()
        self._closing = False

    def _lease_end(self, now: float) -> float:
        return now + self._config.current.backchannelLogoutDeliveryTimeout + LEASE_MARGIN

    async def submit(self, notices: Sequence[LogoutNotice]) -> None:
        if not notices:
            return
        now = self._now()
        deliveries = [LogoutDelivery(uuid.uuid4().hex, n, 0, now) for n in notices]
        try:
            await self._store.add(deliveries, self._holder, self._lease_end(now))
        except Exception:  # attempt each once anyway; retries live in the store
            logger.exception("storing %d back-channel logout notice(s) failed", len(deliveries))
        for delivery in deliveries:
            self._spawn(delivery, taken=True)

    def _spawn(self, delivery: LogoutDelivery, *, taken: bool) -> None:
        key = delivery.delivery_id
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, taken))
        self._tasks[key] = task
        task.add_done_callback(lambda _task: self._tasks.pop(key, None))

    async def scan(self) -> int:
        """Start a task for every due delivery no task of this process handles; how many."""
        started = 0
        for delivery in await self._store.due(self._now(), SCAN_BATCH):
            if delivery.delivery_id not in self._tasks and not self._closing:
                self._spawn(delivery, taken=False)
                started += 1
        return started

    async def run(self) -> None:
        """Pick up due deliveries every ``scan_interval`` seconds until cancelled."""
        while True:
            try:
                await self.scan()
            except Exception:
                logger.exception("looking for due back-channel logout deliveries failed")
            await asyncio.sleep(self.scan_interval)

    async def _attempt(self, notice: LogoutNotice, timeout: float) -> int | None:
        """One POST; the status code, or None on a network error or timeout.

        Raises:
            OutboundRefused: the policy refuses the destination (no retry helps).
        """
        try:
            response = await self._client.post_form(
                notice.uri, {"logout_token": notice.logout_token}, timeout=timeout
            )
        except OutboundRefused:
            raise
        except OutboundError as exc:
            logger.info("back-channel logout to %s: %s", notice.client_id, exc)
            return None
        return response.status

    async def _deliver(self, delivery: LogoutDelivery, taken: bool) -> None:
        try:
            await self._attempts(delivery, taken)
        except asyncio.CancelledError:
            raise
        except Exception:  # the store failed: the row stays, and is due again later
            logger.exception("back-channel logout to %s stopped", delivery.notice.client_id)

    async def _attempts(self, delivery: LogoutDelivery, taken: bool) -> None:
        key, notice = delivery.delivery_id, delivery.notice
        attempts = delivery.attempts
        while True:
            config = self._config.current
            now = self._now()
            if not taken and not await self._store.claim(
                key, self._holder, now, self._lease_end(now)
            ):
                return  # another process has it, or it is done
            if now >= delivery.created_at + LIFETIME:
                await self._give_up(delivery, attempts, "the logout token expired undelivered")
                return
            self._attempting.add(key)
            try:
                status = await self._attempt(notice, config.backchannelLogoutDeliveryTimeout)
            except OutboundRefused as exc:  # the policy's reason names the host, not the token
                await self._give_up(delivery, attempts + 1, f"refused: {exc}")
                return
            finally:
                self._attempting.discard(key)
            attempts += 1
            if status in (200, 204):
                await self._store.finish(key, self._holder)
                logger.info("back-channel logout delivered to %s", notice.client_id)
                return
            if status is not None and status < 500 and status not in _RETRY_STATUSES:
                await self._give_up(delivery, attempts, f"refused with HTTP {status}")
                return
            if attempts >= config.backchannelLogoutDeliveryAttempts:
                await self._give_up(delivery, attempts, f"no success in {attempts} attempt(s)")
                return
            delay = self.backoff * 2 ** (attempts - 1)
            if not await self._store.retry(key, self._holder, attempts, self._now() + delay):
                return
            if self._closing:
                return  # the row says when the next attempt is due; whoever runs then does it
            await asyncio.sleep(delay)
            taken = False

    async def _give_up(self, delivery: LogoutDelivery, attempts: int, why: str) -> None:
        await self._store.finish(delivery.delivery_id, self._holder)
        client_id = delivery.notice.client_id
        logger.warning("back-channel logout to %s given up: %s", client_id, why)
        self._events.record(
            SecurityEvent(
                at=self._now(),
                kind=EventKind.BACKCHANNEL_LOGOUT_FAILED,
                client_id=client_id,
                detail=f"back-channel logout {why}",
            )
        )

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the deliveries this process is working on, retries included (tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()), timeout=timeout)

    async def close(self, timeout: float = 5.0) -> None:
        """Stop: attempts in flight get ``timeout`` seconds to finish and record their result;
        deliveries waiting for a retry stay stored for whoever runs next."""
        self._closing = True
        for key, task in list(self._tasks.items()):
            if key not in self._attempting:
                task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks.values()), timeout=timeout)
        for task in list(self._tasks.values()):
            task.cancel()
        if self._tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait(set(self._tasks.values()))
