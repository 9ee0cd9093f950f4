"""Which first factor a second-factor step completes: the password (the default), or a
sign-in through an upstream provider, remembered for the interaction under
``first:<interaction id>`` until the second factor is verified (docs/federation.md,
"Second factors")."""

from __future__ import annotations

from authgate.core.federation.model import IDP_PREFIX, PendingSignIn
from authgate.core.ports import Services
from authgate.core.types import Interaction

AMR_PASSWORD = "pwd"  # noqa: S105 - an RFC 8176 method name
AMR_FEDERATED = "fed"
#: How long the second-factor step may take after the upstream sign-in, in seconds.
LIFETIME = 600


def first_key(interaction_id: str) -> str:
    return f"first:{interaction_id}"


async def remember(interaction: Interaction, user_id: str, alias: str, svc: Services) -> None:
    """The upstream sign-in through ``alias`` was the first factor of this interaction."""
    if svc.federation is None:
        return
    store = svc.federation.store
    key = first_key(interaction.interaction_id)
    await store.take_pending(key, svc.clock.now())
    await store.add_pending(
        PendingSignIn(
            key=key,
            alias=alias,
            interaction_id=interaction.interaction_id,
            browser_hash=interaction.browser_hash,
            expires_at=svc.clock.now() + LIFETIME,
            user_id=user_id,
        )
    )


async def forget(interaction: Interaction, svc: Services) -> None:
    """A password is being checked in this interaction: it is the first factor now."""
    if svc.federation is not None:
        await svc.federation.store.take_pending(
            first_key(interaction.interaction_id), svc.clock.now()
        )


async def amr_of(interaction: Interaction, user_id: str, svc: Services) -> tuple[str, ...]:
    """The ``amr`` of the first factor of this interaction's sign-in by ``user_id``."""
    if svc.federation is None:
        return (AMR_PASSWORD,)
    pending = await svc.federation.store.take_pending(
        first_key(interaction.interaction_id), svc.clock.now()
    )
    if pending is None or pending.user_id != user_id:
        return (AMR_PASSWORD,)
    return (AMR_FEDERATED, IDP_PREFIX + pending.alias)
