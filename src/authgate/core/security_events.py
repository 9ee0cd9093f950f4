"""The kinds of security event authgate records (:class:`~authgate.core.types.SecurityEvent`).

Operators read them through the Config API and in the log (logger ``authgate.security``);
docs/security.md lists what each kind means.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    LOGIN_FAILED = "login_failed"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_THROTTLED = "login_throttled"
    LOCKOUT = "lockout"
    LOCKOUT_CLEARED = "lockout_cleared"
    CLIENT_AUTH_FAILED = "client_auth_failed"
    CODE_REPLAYED = "code_replayed"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105 (an event name)
    RATE_LIMITED = "rate_limited"
    CLIENT_REGISTERED = "client_registered"
    CLIENT_DELETED = "client_deleted"
    BACKCHANNEL_LOGOUT_FAILED = "backchannel_logout_failed"
