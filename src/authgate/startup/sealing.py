"""Whether this instance can open the upstream providers' client secrets stored in its
database (docs/federation.md, section 10), checked once as ``authgate serve`` starts.

Instances that share a database must share the sealing key. One that has another key, or
none (no ``AUTHGATE_SEALING_KEY`` and no ``sealing.key`` of its own yet), would answer every
sign-in through those providers with ``upstream_misconfigured``, and would make a key file of
its own at the first one. The check reads the key without making one.
"""

from __future__ import annotations

from authgate.core.federation.flow import open_client_secret
from authgate.core.ports import FederationStore
from authgate.runtime import sealing_key_file
from authgate.settings import Settings

#: Providers named in the warning before "and N more".
NAMED = 5


async def sealing_key_problem(settings: Settings, store: FederationStore) -> str | None:
    """One line for the operator when the stored client secrets cannot be opened here, with
    what to do; None when they all open (or there are none)."""
    sealed = [p for p in await store.providers() if p.client_secret_sealed is not None]
    if not sealed:
        return None
    path = sealing_key_file(settings)
    if settings.sealing_key is not None:
        key, have = settings.sealing_key, "the sealing key in AUTHGATE_SEALING_KEY"
    elif path.exists():
        try:
            key, have = path.read_text().strip(), f"the sealing key in {path}"
        except OSError as exc:  # the sign-ins would fail on it too; the start goes on
            key, have = "", f"a sealing key it cannot read ({path}: {exc.strerror or exc})"
    else:
        key, have = "", f"no sealing key (neither AUTHGATE_SEALING_KEY nor {path})"
    unopened = [p.alias for p in sealed if not key or open_client_secret(p, key) is None]
    if not unopened:
        return None
    names = ", ".join(unopened[:NAMED]) + (
        f" and {len(unopened) - NAMED} more" if len(unopened) > NAMED else ""
    )
    return (
        f"this instance has {have}, which does not open the client secrets of the upstream "
        f"providers {names}: set AUTHGATE_SEALING_KEY to the key of the instances that added "
        "them, or set the secrets again with `authgate providers update ALIAS` "
        "(docs/federation.md, section 10)"
    )
