"""Delivering back-channel Logout Tokens (OIDC Back-Channel Logout 1.0 §2.5) in the background.

Each notice is POSTed form-encoded (``logout_token=...``) to its client's
``backchannel_logout_uri`` by a background task, so the user's logout never waits on a
client. Every attempt is bounded by ``backchannelLogoutDeliveryTimeout`` seconds (connect,
send and read together); a network error, a timeout or a 5xx/408/429 answer is retried, up
to ``backchannelLogoutDeliveryAttempts`` attempts with exponential backoff; 200 or 204 is
success; any other answer is final (§2.8: the RP rejected the token). Requests go through
the :class:`~authgate.outbound.client.OutboundClient`: public addresses only unless allowed,
no redirects followed; a refused destination is final too. Implements
``core.ports.LogoutNotifier``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from authgate.core.ports import ConfigSource
from authgate.core.types import LogoutNotice
from authgate.errors import OutboundError
from authgate.outbound.client import OutboundClient
from authgate.outbound.policy import OutboundRefused

logger = logging.getLogger(__name__)
_RETRY_STATUSES = frozenset({408, 429})


class BackchannelLogout:
    def __init__(self, client: OutboundClient, config: ConfigSource, backoff: float = 1.0):
        self._client = client
        self._config = config
        #: Seconds before the first retry; doubled for each further one.
        self.backoff = backoff
        self._tasks: set[asyncio.Task[bool]] = set()

    def submit(self, notices: Sequence[LogoutNotice]) -> None:
        for notice in notices:
            task = asyncio.create_task(self._deliver(notice))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

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

    async def _deliver(self, notice: LogoutNotice) -> bool:
        config = self._config.current
        attempts = config.backchannelLogoutDeliveryAttempts
        for attempt in range(1, attempts + 1):
            try:
                status = await self._attempt(notice, config.backchannelLogoutDeliveryTimeout)
            except OutboundRefused as exc:
                logger.warning("back-channel logout to %s refused: %s", notice.client_id, exc)
                return False
            if status in (200, 204):
                logger.info("back-channel logout delivered to %s", notice.client_id)
                return True
            if status is not None and status < 500 and status not in _RETRY_STATUSES:
                logger.warning(
                    "back-channel logout refused by %s: HTTP %d", notice.client_id, status
                )
                return False
            if attempt < attempts:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        logger.warning(
            "back-channel logout to %s failed after %d attempt(s)", notice.client_id, attempts
        )
        return False

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the deliveries in flight (tests; shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self, timeout: float = 5.0) -> None:
        """Give deliveries in flight ``timeout`` seconds, then cancel the rest."""
        await self.drain(timeout)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
