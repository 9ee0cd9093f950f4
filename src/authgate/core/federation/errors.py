"""The one error of a failed federated sign-in: a fixed code (never upstream input), which the
web layer turns into a page (the messages are in :mod:`authgate.web.federation.messages`)."""

from __future__ import annotations

#: Codes whose cause is the upstream being unavailable (answered 502, not 400).
UPSTREAM_DOWN = frozenset({"upstream_unreachable", "token_failed"})


class FederationFailed(Exception):
    """The sign-in through an upstream provider cannot go on.

    ``code``: ``state_invalid``, ``cancelled``, ``upstream_error``, ``upstream_unreachable``,
    ``upstream_misconfigured``, ``issuer_mismatch``, ``token_failed``, ``bad_id_token``,
    ``expired_id_token``, ``nonce_mismatch``, ``no_subject``, ``no_account``,
    ``account_disabled``, ``unknown_provider``.
    """

    def __init__(self, code: str, reason: str = "", interaction_id: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        #: The authorization request's interaction, when known and still usable (the error
        #: page then links back to its login page).
        self.interaction_id = interaction_id
        #: For the log only: a fixed text of authgate's (never upstream input or a secret).
        self.reason = reason
