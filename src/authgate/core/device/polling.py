"""What a device's token request gets, as a pure function of its stored request (RFC 8628
§3.4-3.5): the state machine behind the token endpoint's device_code grant.

States of a request: ``pending`` until the user answers, then ``approved`` or ``denied``;
``approved`` becomes ``issued`` when one token request receives the tokens. Each poll is
judged in this order:

1. unknown device code, or another client's: ``invalid_grant``;
2. ``issued``: ``invalid_grant`` (one issuance per device code);
3. past its expiry: ``expired_token``;
4. ``denied``: ``access_denied``;
5. ``approved``: tokens;
6. ``pending``: ``slow_down`` if it came sooner than ``interval`` seconds after the previous
   poll (and the interval grows by :data:`SLOW_DOWN_INCREMENT`), else
   ``authorization_pending``.
"""

from __future__ import annotations

from enum import StrEnum

from authgate.core.types import DeviceAuthorization

#: Seconds added to a request's interval at each slow_down (RFC 8628 §3.5: "increased by 5
#: seconds for this and all subsequent requests").
SLOW_DOWN_INCREMENT = 5


class Verdict(StrEnum):
    UNKNOWN = "unknown"
    ISSUED = "issued"
    EXPIRED = "expired"
    DENIED = "denied"
    APPROVED = "approved"
    PENDING = "pending"


def verdict(request: DeviceAuthorization | None, client_id: str, now: float) -> Verdict:
    """Steps 1-5 above; ``PENDING`` leaves the pace (step 6) to :func:`too_fast`."""
    if request is None or request.client_id != client_id:
        return Verdict.UNKNOWN
    if request.status == "issued":
        return Verdict.ISSUED
    if request.expired(now):
        return Verdict.EXPIRED
    if request.status == "denied":
        return Verdict.DENIED
    if request.status == "approved":
        return Verdict.APPROVED
    return Verdict.PENDING


def too_fast(last_polled_at: float | None, interval: int, now: float) -> bool:
    """Whether a poll at ``now`` came sooner than ``interval`` seconds after the last one."""
    return last_polled_at is not None and now < last_polled_at + interval
