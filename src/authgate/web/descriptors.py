"""The process's file-descriptor budget: the file limit and the connection cap under it.

Every client connection is a file descriptor, and so is every database connection, log file,
SQLite file and outbound HTTP connection. A process that runs out of descriptors cannot
accept connections or open its database, so ``authgate serve`` raises its soft limit to the
hard one and holds clients to :data:`RESERVED_DESCRIPTORS` fewer descriptors than that.
Worker processes inherit the raised limit.
"""

from __future__ import annotations

import logging
import resource

logger = logging.getLogger(__name__)

#: Descriptors kept for everything that is not a client connection: the database pool (10 on
#: PostgreSQL, one file and its journal on SQLite), outbound HTTP (50), logs, the listening
#: socket, and the interpreter's own files.
RESERVED_DESCRIPTORS = 256
#: The cap never goes below this, however low the file limit.
MIN_CONNECTIONS = 16


def raise_file_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit; the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft if soft != resource.RLIM_INFINITY else target
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        logger.warning("could not raise the file limit from %d to %d: %s", soft, target, exc)
        return soft
    return target


def connection_cap(configured: int, file_limit: int) -> int:
    """The connection cap: ``configured``, lowered to leave the reserve under ``file_limit``."""
    allowed = max(file_limit - RESERVED_DESCRIPTORS, MIN_CONNECTIONS)
    if configured > allowed:
        logger.warning(
            "max_connections lowered from %d to %d to stay under the file limit (%d)",
            configured,
            allowed,
            file_limit,
        )
        return allowed
    return configured
