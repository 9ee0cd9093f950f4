"""What the per-source rate limits count: endpoint families, their limits in the configuration
document, fixed windows, and the address a source is counted under.

:mod:`authgate.core.rate_limiter` does the counting; docs/security.md ("Rate limits") says why
the limits are what they are.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from enum import StrEnum

from authgate.appconfig import AppConfiguration
from authgate.core.ports import RateWindow

#: IPv6 sources are counted per /64: one subscriber usually holds a whole /64 (RFC 6177), so
#: counting single addresses would let one host spread its requests over 2**64 of them.
IPV6_PREFIX = 64


class Family(StrEnum):
    """The endpoints that share one limit."""

    REGISTRATION = "registration"
    CLIENT_CONFIGURATION = "client_configuration"
    PAR = "par"
    TOKEN = "token"  # noqa: S105 (an endpoint name)
    INTROSPECTION = "introspection"
    REVOCATION = "revocation"
    CONFIG_API = "config_api"
    DEVICE_AUTHORIZATION = "device_authorization"
    DEVICE_VERIFICATION = "device_verification"


#: Each family's property name stem: ``rateLimit<Stem>RequestCount``/``...PeriodInSeconds``.
_STEMS = {
    Family.REGISTRATION: "Registration",
    Family.CLIENT_CONFIGURATION: "ClientConfiguration",
    Family.PAR: "Par",
    Family.TOKEN: "Token",
    Family.INTROSPECTION: "Introspection",
    Family.REVOCATION: "Revocation",
    Family.CONFIG_API: "ConfigApi",
    Family.DEVICE_AUTHORIZATION: "DeviceAuthorization",
    Family.DEVICE_VERIFICATION: "DeviceVerification",
}

#: What a refused request is told it made too many of.
DESCRIPTIONS = {
    Family.REGISTRATION: "registration requests",
    Family.CLIENT_CONFIGURATION: "client configuration requests",
    Family.PAR: "pushed authorization requests",
    Family.TOKEN: "token requests",
    Family.INTROSPECTION: "introspection requests",
    Family.REVOCATION: "revocation requests",
    Family.CONFIG_API: "Config API requests",
    Family.DEVICE_AUTHORIZATION: "device authorization requests",
    Family.DEVICE_VERIFICATION: "device verification page requests",
}


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` requests per source in each window of ``period`` seconds."""

    count: int
    period: int

    def window(self, family: Family, source: str, now: float) -> RateWindow:
        """The window ``now`` falls in (windows start at multiples of the period)."""
        start = int(now // self.period) * self.period
        return RateWindow(family.value, source, start, start + self.period)


def limits_of(config: AppConfiguration) -> dict[Family, Limit]:
    """The limits switched on in ``config`` (a family with count 0 is absent)."""
    limits = {}
    for family, stem in _STEMS.items():
        count = getattr(config, f"rateLimit{stem}RequestCount")
        if count > 0:
            limits[family] = Limit(count, getattr(config, f"rateLimit{stem}PeriodInSeconds"))
    return limits


def retry_after(window: RateWindow, now: float) -> int:
    """Whole seconds until ``window`` ends (at least 1): the ``Retry-After`` value."""
    return max(1, math.ceil(window.end - now))


def counted_source(address: str) -> str:
    """The key ``address`` is counted under: an IPv4 address as is (also when written as an
    IPv4-mapped IPv6 address), an IPv6 address as its /64 network, anything else as is."""
    if ":" not in address:
        return address
    try:
        parsed = ipaddress.IPv6Address(address)
    except ValueError:
        return address
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False))
