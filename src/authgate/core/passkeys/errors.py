"""Refusals of a passkey ceremony.

Each refusal names its :class:`Reason` (kept in the security event and, with
``errorReasonEnabled``, sent as ``reason``); the description tells the user what to do and
never echoes what the browser sent.
"""

from __future__ import annotations

from enum import StrEnum

from authgate.errors import AccessDenied, InvalidRequest


class Reason(StrEnum):
    MALFORMED = "malformed_response"
    UNKNOWN_CREDENTIAL = "unknown_credential"
    WRONG_ORIGIN = "wrong_origin"
    WRONG_RP_ID = "wrong_rp_id"
    BAD_SIGNATURE = "bad_signature"
    CHALLENGE_REPLAYED = "challenge_replayed"
    CHALLENGE_EXPIRED = "challenge_expired"
    CHALLENGE_FOREIGN = "challenge_foreign"
    SIGN_COUNT = "sign_count_regressed"
    USER_HANDLE = "user_handle_mismatch"
    NOT_PRESENT = "user_not_present"
    WRONG_USER = "wrong_user"
    ALREADY_REGISTERED = "already_registered"
    THROTTLED = "throttled"
    REFUSED = "refused"


DESCRIPTIONS: dict[Reason, str] = {
    Reason.MALFORMED: "The passkey response could not be read.",
    Reason.UNKNOWN_CREDENTIAL: (
        "This passkey is not registered here (it may have been removed). Sign in another way."
    ),
    Reason.WRONG_ORIGIN: "The passkey response was made for another site.",
    Reason.WRONG_RP_ID: "The passkey belongs to another site.",
    Reason.BAD_SIGNATURE: "The passkey's signature could not be verified.",
    Reason.CHALLENGE_REPLAYED: "This passkey request was already used. Try again.",
    Reason.CHALLENGE_EXPIRED: "This passkey request has expired. Try again.",
    Reason.CHALLENGE_FOREIGN: "This passkey request was not made for this page. Try again.",
    Reason.SIGN_COUNT: (
        "This passkey's signature counter went backwards, a sign that it may have been "
        "cloned. It was refused; contact your administrator."
    ),
    Reason.USER_HANDLE: "The passkey response names another account.",
    Reason.NOT_PRESENT: "The authenticator did not confirm that you were present.",
    Reason.WRONG_USER: "This passkey belongs to another account.",
    Reason.ALREADY_REGISTERED: "This passkey is already registered.",
    Reason.THROTTLED: "Too many failed sign-in attempts. Wait a moment and try again.",
    Reason.REFUSED: "Sign-in with this passkey was refused.",
}


class PasskeyRejected(AccessDenied):
    """A ceremony response that does not verify (403 ``access_denied``)."""

    def __init__(self, reason: Reason, *, retry_after: int | None = None) -> None:
        description = DESCRIPTIONS[reason]
        if retry_after:
            description += f" Try again in {retry_after} seconds."
        super().__init__(description, reason=reason.value)
        self.why = reason
        self.retry_after = retry_after


class PasskeyMalformed(InvalidRequest):
    """A ceremony request whose body is not what the ceremony expects (400)."""

    def __init__(self, detail: str = "") -> None:
        text = DESCRIPTIONS[Reason.MALFORMED] + (f" {detail}" if detail else "")
        super().__init__(text, reason=Reason.MALFORMED.value)
        self.why = Reason.MALFORMED
