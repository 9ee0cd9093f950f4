"""In-memory doubles of every port of the protocol core, and ``make_services`` to wire them.

A core test builds the whole :class:`~authgate.core.ports.Services` without HTTP or a
database::

    svc = make_services()
    user = await add_user(svc)
    client = await add_client(svc, require_pkce=True)
    advance(svc, 60)

The stores mirror :mod:`authgate.storage` method for method, including what each returns on
its edges (unknown, expired, already used, another client's) and all-or-nothing writes.
"""

from tests.memory.doubles import (
    RecordingLogoutNotifier,
    StaticConfig,
    StaticJwksSource,
    StaticRequestObjects,
    StaticSectorIdentifiers,
)
from tests.memory.services import (
    ServiceOverrides,
    add_client,
    add_session,
    add_user,
    advance,
    double,
    make_services,
    signing_keys,
)
from tests.memory.stores import Tables

__all__ = [
    "RecordingLogoutNotifier",
    "ServiceOverrides",
    "StaticConfig",
    "StaticJwksSource",
    "StaticRequestObjects",
    "StaticSectorIdentifiers",
    "Tables",
    "add_client",
    "add_session",
    "add_user",
    "advance",
    "double",
    "make_services",
    "signing_keys",
]
