"""The kinds of security event authgate records (:class:`~authgate.core.types.SecurityEvent`).

Operators read them through the Config API and in the log (logger ``authgate.security``);
docs/security.md lists what each kind means.

The core does not see requests: an entry point that leads to an event takes the request's
source address as a ``source`` keyword (the web layer passes
:func:`authgate.web.source.source`; the CLI passes None) and hands it to :func:`record`.
"""

from __future__ import annotations

from enum import StrEnum

from authgate.core.ports import Services
from authgate.core.types import SecurityEvent


class EventKind(StrEnum):
    LOGIN_FAILED = "login_failed"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_THROTTLED = "login_throttled"
    LOCKOUT = "lockout"
    LOCKOUT_CLEARED = "lockout_cleared"
    CLIENT_AUTH_FAILED = "client_auth_failed"
    CLIENT_AUTH_THROTTLED = "client_auth_throttled"
    CODE_REPLAYED = "code_replayed"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105 (an event name)
    RATE_LIMITED = "rate_limited"
    CLIENT_REGISTERED = "client_registered"
    CLIENT_DELETED = "client_deleted"
    BACKCHANNEL_LOGOUT_FAILED = "backchannel_logout_failed"
    FEDERATION_FAILED = "federation_failed"
    FEDERATION_SIGNED_IN = "federation_signed_in"
    FEDERATION_LINKED = "federation_linked"
    FEDERATION_UNLINKED = "federation_unlinked"
    APP_REVOKED = "app_revoked"
    SESSION_ENDED = "session_ended"
    DEVICE_AUTHORIZATION_DENIED = "device_authorization_denied"
    USER_CODE_THROTTLED = "user_code_throttled"
    TOKEN_EXCHANGE_REFUSED = "token_exchange_refused"  # noqa: S105 (an event name)
    FACTOR_SUCCEEDED = "factor_succeeded"
    FACTOR_FAILED = "factor_failed"
    FACTOR_THROTTLED = "factor_throttled"
    FACTOR_ENROLLED = "factor_enrolled"
    FACTORS_REMOVED = "factors_removed"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_GENERATED = "recovery_codes_generated"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    PASSKEY_FAILED = "passkey_failed"
    SIGNED_UP = "signed_up"
    VERIFICATION_SENT = "verification_sent"
    EMAIL_VERIFIED = "email_verified"
    RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (an event name)
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    EMAIL_CHANGED = "email_changed"
    PROFILE_CHANGED = "profile_changed"
    SELF_SERVICE_THROTTLED = "self_service_throttled"
    SELF_SERVICE_LINK_REFUSED = "self_service_link_refused"


def record(
    svc: Services,
    kind: EventKind,
    *,
    source: str | None,
    client_id: str | None = None,
    user_id: str | None = None,
    detail: str = "",
) -> None:
    """Record an event now (in the background; never raises). ``detail`` is a fixed text of
    the caller's, never request input or a secret."""
    svc.events.record(
        SecurityEvent(
            at=svc.clock.now(),
            kind=kind,
            source=source,
            client_id=client_id,
            user_id=user_id,
            detail=detail,
        )
    )
