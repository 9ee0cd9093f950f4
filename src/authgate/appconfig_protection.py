"""Brute-force protection settings of the configuration document:
``authenticationProtectionConfiguration``.

The object keeps the shape and the four member names of Janssen's property of the same name
(``bruteForceProtectionEnabled``, ``maximumAllowedAttemptsWithoutDelay``, ``delayTime``,
``attemptExpiration``) and adds what authgate needs beyond them: a cap on the wait, a limit per
source across accounts, an optional lockout, a bound on attempts per login page, the device
cookie, and a switch for client authentication. Defaults differ from Janssen's: protection is on.
docs/security.md ("Brute-force protection") explains each default.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

DAY = 86400


class AuthenticationProtectionConfiguration(BaseModel):
    """How failed guesses of a secret slow down further guesses (docs/security.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bruteForceProtectionEnabled: bool = Field(
        True,
        description="Count failed guesses of passwords, client secrets, client assertions and "
        "registration access tokens, and make further guesses wait. Janssen's default is "
        "false; authgate's is true.",
    )
    maximumAllowedAttemptsWithoutDelay: int = Field(
        5,
        ge=0,
        le=1000,
        description="Consecutive failures for one account (or client) from one source that "
        "cost no wait. From the next failure on, each further attempt from that source must "
        "wait: delayTime seconds, doubled with every further failure, up to maximumDelayTime.",
    )
    delayTime: int = Field(
        2, ge=1, le=3600, description="Seconds of the first wait; each further failure doubles it."
    )
    maximumDelayTime: int = Field(
        300,
        ge=1,
        le=DAY,
        description="authgate extension: the longest wait one source can be made to observe, "
        "in seconds.",
    )
    attemptExpiration: int = Field(
        3600,
        ge=1,
        le=7 * DAY,
        description="Seconds after which failures are forgotten: a counter for one account "
        "(or client) restarts when its last failure is older; the counter of a whole source "
        "when its first failure is (a fixed window, so a busy shared address is not throttled "
        "for failures spread over a day). Must be at least maximumDelayTime and lockoutDuration.",
    )
    maximumAllowedFailuresPerSource: int = Field(
        100,
        ge=0,
        le=1_000_000,
        description="authgate extension, against password spraying: failures from one source "
        "across all accounts (or clients) within attemptExpiration that cost no wait; beyond "
        "them every attempt from that source waits as above. A browser with a device cookie "
        "for the account is exempt. 0: no limit per source.",
    )
    lockoutEnabled: bool = Field(
        False,
        description="authgate extension: lock an account (or client) for lockoutDuration "
        "seconds once lockoutThreshold failures from any sources add up within "
        "attemptExpiration. Off by default: anyone could lock anyone out. A browser with a "
        "device cookie for the account is never locked out.",
    )
    lockoutThreshold: int = Field(
        20, ge=1, le=1_000_000, description="Failures from all sources that lock an account."
    )
    lockoutDuration: int = Field(
        900, ge=1, le=DAY, description="Seconds a lockout lasts after the failure that set it."
    )
    maximumAttemptsPerInteraction: int = Field(
        10,
        ge=1,
        le=1000,
        description="authgate extension: password checks one login page (interaction) accepts; "
        "after them the user must start again from the application.",
    )
    deviceCookieEnabled: bool = Field(
        True,
        description="authgate extension (OWASP's device cookie): a successful login sets a "
        "signed cookie naming the browser for that user; attempts from such a browser are "
        "counted on their own and are not slowed by failures from elsewhere.",
    )
    deviceCookieLifetime: int = Field(
        180 * DAY, ge=60, le=730 * DAY, description="Seconds a device cookie stays valid."
    )
    clientAuthenticationProtectionEnabled: bool = Field(
        True,
        description="authgate extension: apply the same counting to client authentication "
        "(secrets and private_key_jwt at the token, PAR, introspection and revocation "
        "endpoints) and to registration access tokens (RFC 7592), answering `invalid_client` "
        "or `invalid_token` while a client must wait.",
    )

    @model_validator(mode="after")
    def _windows_cover_waits(self) -> AuthenticationProtectionConfiguration:
        if self.maximumDelayTime < self.delayTime:
            raise ValueError("maximumDelayTime must be at least delayTime")
        if self.attemptExpiration < self.maximumDelayTime:
            raise ValueError(
                "attemptExpiration must be at least maximumDelayTime: failures would be "
                "forgotten before their wait ends"
            )
        if self.attemptExpiration < self.lockoutDuration:
            raise ValueError(
                "attemptExpiration must be at least lockoutDuration: a lockout would end early"
            )
        return self
