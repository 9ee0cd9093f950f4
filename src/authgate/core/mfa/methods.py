"""Second-factor methods: the plug-in point of the second-factor step.

A method is a :class:`Method` registered in :data:`METHODS` under its
:class:`SecondFactorKind`. The sign-in interaction offers every registered method the user
has enrolled (:func:`offered`, in the order of :class:`SecondFactorKind`), and verifies the
form the user posted with the chosen method's :meth:`Method.verify`, under brute-force
protection (:mod:`.step`). A method adds its ``amr`` values (RFC 8176) to the session.

Built in: ``totp`` (RFC 6238) and ``recovery`` (single-use recovery codes); ``webauthn``
(a passkey after the password) is :mod:`authgate.core.passkeys.factor`, registered when this
package is imported. Each has a page in ``authgate.web.factors``.

A verified answer (:class:`Verified`) says what the session reached: its ``amr`` values and
its ``acr`` (``mfa`` for a code; ``phr``/``phrh`` for a passkey, :mod:`.acr`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from authgate.appconfig import AppConfiguration
from authgate.core.mfa import acr
from authgate.core.ports import Services
from authgate.core.types import SecondFactor
from authgate.crypto import recovery, totp


class SecondFactorKind(StrEnum):
    """The kinds of second factor, in the order the sign-in page offers them."""

    TOTP = "totp"
    WEBAUTHN = "webauthn"
    RECOVERY = "recovery"


@dataclass(frozen=True, slots=True)
class FactorContext:
    """Who is being verified, in which sign-in interaction (a method that issues challenges
    keys them by the interaction)."""

    user_id: str
    interaction_id: str
    #: The request's source address (for security events).
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified answer: the RFC 8176 values it adds to the session (``mfa`` is added by
    the step) and the authentication context the session then reaches."""

    amr: tuple[str, ...]
    acr: str = acr.MFA_ACR
    #: The context this answer reaches on its own, for a method that can also sign in
    #: alone (a passkey); None for a code, which never stands alone.
    alone: str | None = None


class Method(Protocol):
    """A second-factor method."""

    @property
    def kind(self) -> SecondFactorKind: ...

    @property
    def amr(self) -> tuple[str, ...]:
        """RFC 8176 values a success adds to the session (``mfa`` is added by the step)."""
        ...

    async def enrolled(self, user_id: str, svc: Services) -> bool:
        """Whether the user can use this method now."""
        ...

    async def best_level(self, user_id: str, svc: Services) -> int:
        """The highest :mod:`.acr` level a sign-in with this method can reach for the user."""
        ...

    async def verify(
        self, context: FactorContext, response: Mapping[str, str], svc: Services
    ) -> Verified | None:
        """Check the user's answer (the posted form); a result once per answer (single use),
        else None."""
        ...

    async def reset(self, user_id: str, svc: Services) -> int:
        """Remove what the user enrolled for this method; returns how many items."""
        ...


def factor_key(config: AppConfiguration, label: str) -> str:
    """A server secret for second factors, derived from a secret every instance shares (the
    configuration document) and separated from its other uses by ``label``."""
    secret = config.pairwiseCalculationKey.encode("utf-8")
    return hmac.new(secret, f"authgate factors v1 {label}".encode(), hashlib.sha256).hexdigest()


def seed_key(config: AppConfiguration) -> str:
    """The key TOTP seeds are sealed under."""
    return factor_key(config, "totp seed")


def recovery_key(config: AppConfiguration) -> str:
    """The key recovery codes are hashed under."""
    return factor_key(config, "recovery code")


def seed_of(factor: SecondFactor, config: AppConfiguration) -> str | None:
    """The TOTP seed of ``factor``, or None if it cannot be opened (another server key)."""
    return totp.unseal_seed(seed_key(config), factor.factor_id, factor.secret)


class TotpMethod:
    """RFC 6238 codes: one step of clock drift each way, each step accepted once per factor."""

    kind = SecondFactorKind.TOTP
    amr = (acr.AMR_OTP,)

    async def enrolled(self, user_id: str, svc: Services) -> bool:
        return any(_confirmed_totp(await svc.factors.list(user_id)))

    async def best_level(self, user_id: str, svc: Services) -> int:
        return acr.MFA

    async def verify(
        self, context: FactorContext, response: Mapping[str, str], svc: Services
    ) -> Verified | None:
        code = response.get("code", "")
        now = svc.clock.now()
        for factor in _confirmed_totp(await svc.factors.list(context.user_id)):
            seed = seed_of(factor, svc.config.current)
            step = None if seed is None else totp.matching_step(seed, code, now)
            if step is not None:
                accepted = await svc.factors.accept_step(factor.factor_id, step, now)
                return Verified(self.amr) if accepted else None
        return None

    async def reset(self, user_id: str, svc: Services) -> int:
        return await svc.factors.remove(user_id, SecondFactorKind.TOTP)


class RecoveryMethod:
    """Single-use recovery codes (:mod:`authgate.crypto.recovery`)."""

    kind = SecondFactorKind.RECOVERY
    amr = (acr.AMR_OTP,)

    async def enrolled(self, user_id: str, svc: Services) -> bool:
        return await svc.factors.recovery_codes_left(user_id) > 0

    async def best_level(self, user_id: str, svc: Services) -> int:
        return acr.MFA

    async def verify(
        self, context: FactorContext, response: Mapping[str, str], svc: Services
    ) -> Verified | None:
        code = response.get("code", "")
        if not recovery.normalise(code) or len(code) > 64:
            return None
        hashed = recovery.code_hash(recovery_key(svc.config.current), context.user_id, code)
        used = await svc.factors.use_recovery_code(context.user_id, hashed, svc.clock.now())
        return Verified(self.amr) if used else None

    async def reset(self, user_id: str, svc: Services) -> int:
        return await svc.factors.clear_recovery_codes(user_id)


def _confirmed_totp(factors: list[SecondFactor]) -> list[SecondFactor]:
    return [f for f in factors if f.kind == SecondFactorKind.TOTP and f.confirmed_at is not None]


#: Every method the server offers, by kind.
METHODS: dict[SecondFactorKind, Method] = {}


def register(method: Method) -> None:
    """Offer ``method`` (replacing a method of the same kind)."""
    METHODS[method.kind] = method


register(TotpMethod())
register(RecoveryMethod())


def method(kind: str) -> Method | None:
    """The registered method of ``kind`` (as a form posts it), or None."""
    try:
        return METHODS.get(SecondFactorKind(kind))
    except ValueError:
        return None


async def offered(user_id: str, svc: Services) -> list[SecondFactorKind]:
    """The methods the user has enrolled, in the order of :class:`SecondFactorKind`."""
    return [
        kind
        for kind in SecondFactorKind
        if kind in METHODS and await METHODS[kind].enrolled(user_id, svc)
    ]


async def any_enrolled(user_id: str, svc: Services) -> bool:
    """Whether the user has enrolled any method (stops at the first: one read when TOTP is)."""
    for kind in SecondFactorKind:
        if kind in METHODS and await METHODS[kind].enrolled(user_id, svc):
            return True
    return False


async def reachable_level(user_id: str, svc: Services) -> int:
    """The highest level a second factor can reach for the user: that of the best method
    enrolled, and at least ``mfa`` (a user with no factor can enrol one at sign-in)."""
    best = acr.MFA
    for kind in await offered(user_id, svc):
        best = max(best, await METHODS[kind].best_level(user_id, svc))
    return best


async def usable(user_id: str, level: int, svc: Services) -> list[SecondFactorKind]:
    """The enrolled methods that reach ``level`` (all enrolled ones when none does)."""
    enrolled = await offered(user_id, svc)
    fit = [kind for kind in enrolled if await METHODS[kind].best_level(user_id, svc) >= level]
    return fit or enrolled
