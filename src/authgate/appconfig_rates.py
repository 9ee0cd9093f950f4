"""Per-source rate limits of the configuration document (docs/security.md, "Rate limits").

:class:`RateLimitProperties` is a base of :class:`authgate.appconfig.AppConfiguration`; it exists
only to keep each module small. Each endpoint family has a request count and a period, named
like Janssen's ``rateLimitRegistrationRequestCount`` and ``rateLimitRegistrationPeriodInSeconds``;
a count of 0 switches that family's limit off. Requests are counted per source address (the
peer, or the client a trusted proxy names: ``AUTHGATE_TRUSTED_PROXIES``) in fixed windows of
the period, shared by every worker and instance through the database.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

#: Requests allowed per source and window; 0 switches the limit off.
RequestCount = Annotated[int, Field(ge=0, le=1_000_000_000)]
#: The length of a counting window in seconds.
Period = Annotated[int, Field(ge=1, le=86400)]

_COUNT = (
    "Requests one source address may make to {what} per period; more get 429 with "
    "Retry-After until the period ends. 0: no limit. {why}"
)
_PERIOD = "Length in seconds of the window `rateLimit{Name}RequestCount` counts in (fixed windows)."


def _count(default: int, what: str, why: str) -> Any:
    return Field(default, description=_COUNT.format(what=what, why=why))


def _period(name: str) -> Any:
    return Field(60, description=_PERIOD.format(Name=name))


class RateLimitProperties(BaseModel):
    """The rate limit members of the configuration document (see docs/security.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    rateLimitRegistrationRequestCount: RequestCount = _count(
        10,
        "the registration endpoint (RFC 7591 registrations: POST)",
        "A client registers once; 10 a minute stops mass registration.",
    )
    rateLimitRegistrationPeriodInSeconds: Period = _period("Registration")
    rateLimitClientConfigurationRequestCount: RequestCount = _count(
        60,
        "the client configuration endpoint (RFC 7592: GET, PUT and DELETE on the "
        "registration endpoint)",
        "authgate extension; a client reads or updates its registration rarely.",
    )
    rateLimitClientConfigurationPeriodInSeconds: Period = _period("ClientConfiguration")
    rateLimitParRequestCount: RequestCount = _count(
        600,
        "the pushed authorization request endpoint (RFC 9126)",
        "authgate extension; one push per sign-in.",
    )
    rateLimitParPeriodInSeconds: Period = _period("Par")
    rateLimitTokenRequestCount: RequestCount = _count(
        600,
        "the token endpoint (every grant, including the Config API's client_credentials "
        "token requests)",
        "authgate extension; an SPA makes a few a minute, a server-side client one per "
        "sign-in and refresh.",
    )
    rateLimitTokenPeriodInSeconds: Period = _period("Token")
    rateLimitIntrospectionRequestCount: RequestCount = _count(
        1200,
        "the introspection endpoint (RFC 7662)",
        "authgate extension; a resource server calls it per API request unless it caches.",
    )
    rateLimitIntrospectionPeriodInSeconds: Period = _period("Introspection")
    rateLimitRevocationRequestCount: RequestCount = _count(
        600, "the revocation endpoint (RFC 7009)", "authgate extension; one or two per sign-out."
    )
    rateLimitRevocationPeriodInSeconds: Period = _period("Revocation")
    rateLimitDeviceAuthorizationRequestCount: RequestCount = _count(
        60,
        "the device authorization endpoint (RFC 8628 §3.1)",
        "authgate extension; a device asks once per sign-in.",
    )
    rateLimitDeviceAuthorizationPeriodInSeconds: Period = _period("DeviceAuthorization")
    rateLimitDeviceVerificationRequestCount: RequestCount = _count(
        30,
        "the device verification page (`/jans-auth/device_authorization.htm`, where users "
        "type user codes)",
        "authgate extension; a person types a code once or twice, and wrong codes are also "
        "slowed down by brute-force protection (RFC 8628 §5.1).",
    )
    rateLimitDeviceVerificationPeriodInSeconds: Period = _period("DeviceVerification")
    rateLimitConfigApiRequestCount: RequestCount = _count(
        300,
        "the Config API (every path under /jans-config-api/)",
        "authgate extension; the terminal UI and CLI make a few per action.",
    )
    rateLimitConfigApiPeriodInSeconds: Period = _period("ConfigApi")
