"""One in-memory class per storage port of :mod:`authgate.core.ports`, over shared
:class:`Tables` (see :mod:`tests.memory.stores.tables` for why no lock is needed)."""

from tests.memory.stores.accounts import MemoryAccountStore
from tests.memory.stores.clients import MemoryClientStore
from tests.memory.stores.devices import MemoryDeviceAuthorizationStore
from tests.memory.stores.email_links import MemoryEmailLinkStore
from tests.memory.stores.factors import MemoryFactorStore
from tests.memory.stores.failures import MemoryFailureStore
from tests.memory.stores.federation import MemoryFederationStore
from tests.memory.stores.grants import MemoryGrantStore
from tests.memory.stores.initial_tokens import MemoryInitialAccessTokenStore
from tests.memory.stores.passkeys import MemoryPasskeyStore
from tests.memory.stores.rate_counters import MemoryRateCounterStore
from tests.memory.stores.sessions import (
    MemoryConsentStore,
    MemoryInteractionStore,
    MemorySessionStore,
)
from tests.memory.stores.single_use import MemoryAssertionStore, MemoryParStore, MemoryReplayCache
from tests.memory.stores.tables import Tables
from tests.memory.stores.users import MemoryScopeStore, MemoryUserStore

__all__ = [
    "MemoryAccountStore",
    "MemoryAssertionStore",
    "MemoryClientStore",
    "MemoryConsentStore",
    "MemoryDeviceAuthorizationStore",
    "MemoryEmailLinkStore",
    "MemoryFactorStore",
    "MemoryFailureStore",
    "MemoryFederationStore",
    "MemoryGrantStore",
    "MemoryInitialAccessTokenStore",
    "MemoryInteractionStore",
    "MemoryParStore",
    "MemoryPasskeyStore",
    "MemoryRateCounterStore",
    "MemoryReplayCache",
    "MemoryScopeStore",
    "MemorySessionStore",
    "MemoryUserStore",
    "Tables",
]
