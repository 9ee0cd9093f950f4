"""Authentication context classes (OIDC Core §2 ``acr``, §3.1.2.1 ``acr_values``) and
authentication methods (RFC 8176 ``amr``).

Two contexts, ranked:

* ``simple_password_auth`` (level 1): the password (Janssen's stock value);
* ``mfa`` (level 2): the password and a second factor;
* ``phr`` (level 3): a passkey (phishing-resistant), instead of the password or after it;
* ``phrh`` (level 4): a passkey bound to one authenticator (phishing-resistant, hardware).

A request asks for a level: the first value it names that this server offers, in its order of
preference (OIDC Core §3.1.2.1); values it does not offer are ignored unless the request
marks them essential, which fails (:func:`requested_level`). The server's policy may raise
the level (``mfaPolicy``, ``mfaRequiredClients``). A session satisfies a level when its own
context ranks at least as high; the id_token then carries the session's context, which is
what was done, never merely what was asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from authgate.appconfig import AppConfiguration
from authgate.core.types import AuthorizationRequest
from authgate.errors import UnmetAuthenticationRequirements

PASSWORD_ACR = "simple_password_auth"  # noqa: S105 - an ACR name
MFA_ACR = "mfa"
#: A passkey sign-in: phishing-resistant (synced passkey) and phishing-resistant with a key
#: bound to one authenticator (:mod:`authgate.core.passkeys.signin`).
PASSKEY_ACR = "phr"
PASSKEY_HARDWARE_ACR = "phrh"
PASSWORD = 1
MFA = 2
PHISHING_RESISTANT = 3
HARDWARE = 4
#: Every context offered, with its level; discovery's ``acr_values_supported`` in this order.
LEVELS: dict[str, int] = {
    PASSWORD_ACR: PASSWORD,
    MFA_ACR: MFA,
    PASSKEY_ACR: PHISHING_RESISTANT,
    PASSKEY_HARDWARE_ACR: HARDWARE,
}

#: RFC 8176 §2 values.
AMR_PASSWORD = "pwd"  # noqa: S105 - an RFC 8176 method name
AMR_OTP = "otp"
AMR_MFA = "mfa"


@dataclass(frozen=True, slots=True)
class AcrRequest:
    """What a request asks of the authentication: ``acr_values`` (voluntary), or the
    ``claims`` parameter's ``id_token.acr`` (``values``, or ``[value]``, and ``essential``)."""

    values: tuple[str, ...] = ()
    essential: bool = False


def from_request(request: AuthorizationRequest) -> AcrRequest:
    """The acr request of an authorization request: its ``acr_values`` followed by the
    ``claims`` parameter's ``id_token.acr`` values, essential when the latter says so
    (:func:`authgate.core.authorize.claims_request.merged_acr_values`)."""
    return AcrRequest(request.acr_values, request.acr_essential)


def supported() -> list[str]:
    """``acr_values_supported`` (discovery)."""
    return list(LEVELS)


def level_of(acr: str | None) -> int:
    """The level of a context; 0 for one this server does not offer."""
    return LEVELS.get(acr or "", 0)


def requested_level(asked: AcrRequest) -> int:
    """The level asked: that of the first offered value; 0 when none is offered.

    Raises:
        UnmetAuthenticationRequirements: the request is essential and names no offered value.
    """
    for value in asked.values:
        if value in LEVELS:
            return LEVELS[value]
    if asked.essential and asked.values:
        raise UnmetAuthenticationRequirements(
            "None of the requested authentication context classes is offered: "
            + " ".join(supported())
        )
    return 0


def required_level(
    client_id: str, config: AppConfiguration, asked: AcrRequest = AcrRequest()
) -> int:
    """The level an authorization for ``client_id`` needs: what it asks, raised by policy.

    Raises:
        UnmetAuthenticationRequirements: see :func:`requested_level`.
    """
    level = max(requested_level(asked), PASSWORD)
    if config.mfaPolicy == "required" or client_id in config.mfaRequiredClients:
        level = max(level, MFA)
    return level


def satisfies(session_acr: str, level: int) -> bool:
    """Whether a session of context ``session_acr`` is strong enough for ``level``."""
    return level_of(session_acr) >= level


def stronger(first: str, second: str) -> str:
    """The higher-ranked of two contexts (the first on a tie)."""
    return second if level_of(second) > level_of(first) else first


def combine(*parts: Iterable[str]) -> tuple[str, ...]:
    """``amr`` values in order of first appearance, without repeats."""
    return tuple(dict.fromkeys(value for part in parts for value in part))


def context_of(amr: Sequence[str]) -> str:
    """The context a session with these methods reached."""
    return MFA_ACR if AMR_MFA in amr else PASSWORD_ACR


def with_second_factor(amr: Sequence[str], method_amr: Sequence[str]) -> tuple[str, ...]:
    """The methods of a session after a second factor was added to ``amr``."""
    return combine(amr or (AMR_PASSWORD,), method_amr, (AMR_MFA,))
