"""A passkey as the second factor of a sign-in: the ``webauthn`` method of
:mod:`authgate.core.mfa.methods`.

The factor page asks for an assertion by one of the user's own passkeys, with a challenge
issued for the ``second-factor`` purpose and bound to the sign-in interaction
(:func:`options`). The second-factor step (:mod:`authgate.core.mfa.step`) checks the posted
``credential`` under the brute-force protection of every factor; each refusal is also a
``passkey_failed`` security event naming its reason.

A success adds ``hwk`` (a key bound to one authenticator) or ``swk`` (a synced key), and
``user`` when the authenticator verified the user, and the session reaches ``phrh`` or
``phr``: the password may be phished, the passkey cannot (docs/sign-in.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.core.mfa import acr
from authgate.core.mfa.methods import FactorContext, SecondFactorKind, Verified, register
from authgate.core.passkeys import ceremony, challenges
from authgate.core.passkeys.ceremony import CredentialUse
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected
from authgate.core.ports import Services
from authgate.core.security_events import EventKind, record


def second_factor_acr(use: CredentialUse) -> str:
    """The context of a password followed by this passkey: phishing-resistant, and
    hardware-protected when the key is bound to one authenticator."""
    return acr.PASSKEY_HARDWARE_ACR if use.hardware else acr.PASSKEY_ACR


def passwordless_acr(use: CredentialUse) -> str:
    """The context of this passkey alone: ``phrh``/``phr`` when the authenticator verified
    the user, else one factor, ``simple_password_auth`` (docs/sign-in.md)."""
    if not use.user_verified:
        return acr.PASSWORD_ACR
    return second_factor_acr(use)


async def options(context: FactorContext, svc: Services) -> dict[str, Any]:
    """Request options for ``navigator.credentials.get``: the user's passkeys, and a
    challenge for this interaction's second factor."""
    challenge = challenges.issue(svc, challenges.SECOND_FACTOR, context.interaction_id)
    passkeys = await svc.passkeys.for_user(context.user_id)
    return ceremony.authentication_options(svc, challenge, passkeys)


class PasskeyMethod:
    """One of the user's passkeys, after the password (or to step a session up)."""

    kind = SecondFactorKind.WEBAUTHN
    amr = ("hwk",)

    async def enrolled(self, user_id: str, svc: Services) -> bool:
        return bool(await svc.passkeys.for_user(user_id))

    async def best_level(self, user_id: str, svc: Services) -> int:
        passkeys = await svc.passkeys.for_user(user_id)
        if any(not p.synced for p in passkeys):
            return acr.HARDWARE
        return acr.PHISHING_RESISTANT if passkeys else 0

    async def verify(
        self, context: FactorContext, response: Mapping[str, str], svc: Services
    ) -> Verified | None:
        try:
            credential = ceremony.parse_assertion(response.get("credential", ""))
            expected = await challenges.redeem(
                svc,
                ceremony.client_challenge(credential.response.client_data_json),
                challenges.SECOND_FACTOR,
                context.interaction_id,
            )
            use = await ceremony.verify_assertion(context.user_id, credential, expected, svc)
        except (PasskeyRejected, PasskeyMalformed) as exc:
            record(svc, EventKind.PASSKEY_FAILED, source=context.source, user_id=context.user_id,
                   detail=f"second factor refused: {exc.why.value}")  # fmt: skip
            return None
        return Verified(use.amr, second_factor_acr(use), alone=passwordless_acr(use))

    async def reset(self, user_id: str, svc: Services) -> int:
        removed = 0
        for passkey in await svc.passkeys.for_user(user_id):
            removed += await svc.passkeys.remove(user_id, passkey.credential_id)
        return removed


register(PasskeyMethod())
