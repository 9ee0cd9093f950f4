"""The OAuth 2.0 / OpenID Connect error vocabulary: one exception class per wire error code.

Exception tree::

    OAuthError                       400 unless stated
    ├── InvalidRequest               invalid_request (RFC 6749 §4.1.2.1, §5.2)
    │   ├── RequestTooLarge          invalid_request, 413
    │   ├── UriTooLong               invalid_request, 414
    │   ├── HeaderFieldsTooLarge     invalid_request, 431
    │   └── RequestTimedOut          invalid_request, 408
    ├── InvalidClient                invalid_client, 401 + WWW-Authenticate (RFC 6749 §5.2)
    ├── InvalidGrant                 invalid_grant (RFC 6749 §5.2)
    ├── UnauthorizedClient           unauthorized_client
    ├── UnsupportedGrantType         unsupported_grant_type
    ├── UnsupportedResponseType      unsupported_response_type
    ├── InvalidScope                 invalid_scope
    ├── AccessDenied                 access_denied
    │   └── DeviceAccessDenied       access_denied, 400 (RFC 8628 §3.5)
    ├── AuthorizationPending         authorization_pending (RFC 8628 §3.5)
    ├── SlowDown                     slow_down (RFC 8628 §3.5)
    ├── ExpiredToken                 expired_token (RFC 8628 §3.5)
    ├── LoginRequired                login_required (OIDC Core §3.1.2.6)
    ├── ConsentRequired              consent_required
    ├── InvalidRedirectUri           invalid_redirect_uri (RFC 7591 §3.2.2)
    ├── InvalidClientMetadata        invalid_client_metadata (RFC 7591 §3.2.2)
    ├── InvalidSoftwareStatement     invalid_software_statement (RFC 7591 §3.2.2)
    ├── UnapprovedSoftwareStatement  unapproved_software_statement (RFC 7591 §3.2.2)
    ├── InvalidToken                 invalid_token, 401 (RFC 6750 §3.1)
    ├── InsufficientScope            insufficient_scope, 403 (RFC 6750 §3.1)
    ├── InvalidDPoPProof             invalid_dpop_proof (RFC 9449 §5, §7.1)
    ├── UseDPoPNonce                 use_dpop_nonce + DPoP-Nonce header (RFC 9449 §8, §9)
    ├── InvalidRequestUri            invalid_request_uri (RFC 9126 §4, RFC 9101 §7)
    ├── TooManyRequests              temporarily_unavailable, 429 + Retry-After (RFC 6585 §4)
    ├── ConnectionLimitReached       temporarily_unavailable, 503
    └── ServerError                  server_error, 500

The protocol core raises these; only ``authgate.web.errors`` turns them into HTTP responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from authgate.core.authorize.jarm import ResponseSigning


class OAuthError(Exception):
    """Base class: an error with an RFC error code, a client-facing description and a log detail.

    Args:
        description: The ``error_description`` sent to the client. Must be safe to reveal.
        reason: A more specific sentence, sent as ``reason`` only when ``errorReasonEnabled``
            is on (Janssen's extension); defaults to the description.
        headers: Extra response headers (e.g. ``WWW-Authenticate``).
    """

    error: ClassVar[str] = "invalid_request"
    status_code: ClassVar[int] = 400

    def __init__(
        self,
        description: str,
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.reason = reason or description
        self.headers: dict[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


class InvalidRequest(OAuthError):
    error = "invalid_request"


class RequestTooLarge(InvalidRequest):
    """The request body exceeds what any protocol request needs (413)."""

    status_code = 413


class UriTooLong(InvalidRequest):
    """The request target is longer than the server accepts (414, RFC 9110 §15.5.15)."""

    status_code = 414


class HeaderFieldsTooLarge(InvalidRequest):
    """The request's header fields are too many or too large (431, RFC 6585 §5)."""

    status_code = 431


class RequestTimedOut(InvalidRequest):
    """The client did not finish sending its request in time (408, RFC 9110 §15.5.9)."""

    status_code = 408


#: Refusals of a request's size or pace: their status is kept on every endpoint, pages too.
REQUEST_LIMIT_ERRORS = (RequestTooLarge, UriTooLong, HeaderFieldsTooLarge, RequestTimedOut)


class InvalidClient(OAuthError):
    """Client authentication failed (RFC 6749 §5.2): always 401 with a Basic challenge."""

    error = "invalid_client"
    status_code = 401

    def __init__(self, description: str, *, reason: str | None = None) -> None:
        super().__init__(
            description,
            reason=reason,
            headers={"WWW-Authenticate": 'Basic realm="jans-auth"'},
        )


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidTarget(OAuthError):
    """A ``resource`` (or token exchange ``audience``) the client may not have a token for
    (RFC 8707 §2, RFC 8693 §2.2.2)."""

    error = "invalid_target"


class AccessDenied(OAuthError):
    error = "access_denied"
    status_code = 403


class DeviceAccessDenied(AccessDenied):
    """The user denied a device authorization request: the token endpoint's answer to the
    device's poll (RFC 8628 §3.5), 400 as every token endpoint error (RFC 6749 §5.2)."""

    status_code = 400


class AuthorizationPending(OAuthError):
    """The device authorization request is still waiting for the user (RFC 8628 §3.5)."""

    error = "authorization_pending"


class SlowDown(OAuthError):
    """The device polled faster than its interval; the interval grew by 5 s (RFC 8628 §3.5)."""

    error = "slow_down"


class ExpiredToken(OAuthError):
    """The device code expired before the user answered or the device polled (RFC 8628
    §3.5): the device must start a new request."""

    error = "expired_token"


class LoginRequired(OAuthError):
    error = "login_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InteractionRequired(OAuthError):
    """``prompt=none``, but the user must do something first (OIDC Core §3.1.2.6): here, sign
    in with a second factor."""

    error = "interaction_required"


class UnmetAuthenticationRequirements(OAuthError):
    """An essential ``acr`` request names no authentication context this server offers
    (OpenID Connect Unmet Authentication Requirements 1.0)."""

    error = "unmet_authentication_requirements"


class InvalidRedirectUri(OAuthError):
    error = "invalid_redirect_uri"


class InvalidClientMetadata(OAuthError):
    error = "invalid_client_metadata"


class InvalidSoftwareStatement(OAuthError):
    """A software statement is malformed, badly signed, expired, or required and missing."""

    error = "invalid_software_statement"


class UnapprovedSoftwareStatement(OAuthError):
    """A software statement from an issuer this server does not trust (RFC 7591 §3.2.2)."""

    error = "unapproved_software_statement"


class InvalidToken(OAuthError):
    """A bearer token is missing, unknown, expired or revoked (RFC 6750 §3.1)."""

    error = "invalid_token"
    status_code = 401


class InsufficientScope(OAuthError):
    error = "insufficient_scope"
    status_code = 403


class InvalidDPoPProof(OAuthError):
    """A DPoP proof is missing where required, malformed, or fails a check of RFC 9449 §4.3.

    400 at the token and PAR endpoints (§5); the web layer answers 401 with a ``DPoP``
    challenge at protected resources (§7.1).
    """

    error = "invalid_dpop_proof"


class UseDPoPNonce(OAuthError):
    """The proof must carry the server nonce now sent in ``DPoP-Nonce`` (RFC 9449 §8, §9)."""

    error = "use_dpop_nonce"

    def __init__(self, description: str, *, nonce: str, reason: str | None = None) -> None:
        super().__init__(description, reason=reason, headers={"DPoP-Nonce": nonce})
        self.nonce = nonce


class InvalidRequestUri(OAuthError):
    """A ``request_uri`` is unknown, expired, already used or not this client's (RFC 9126 §4)."""

    error = "invalid_request_uri"


class InvalidAuthorizationDetails(OAuthError):
    """``authorization_details`` is malformed, names a type the client may not use, or is
    sent where this server does not take it (RFC 9396 §5, §6)."""

    error = "invalid_authorization_details"


class InvalidRequestObject(OAuthError):
    """A request object is malformed, badly signed, expired, replayed or does not match the
    request (RFC 9101 §6.1, OIDC Core §6.4)."""

    error = "invalid_request_object"


class RequestNotSupported(OAuthError):
    """The server does not accept request objects by value (OIDC Core §3.1.2.6)."""

    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    """The server does not accept request objects by reference (OIDC Core §3.1.2.6)."""

    error = "request_uri_not_supported"


class TooManyRequests(OAuthError):
    """A source went over a per-source rate limit (RFC 6585 §4): 429 with ``Retry-After``
    (RFC 9110 §10.2.3). The code is RFC 6749's ``temporarily_unavailable``, the one OAuth
    error that tells a client to try again later (docs/security.md, "Rate limits")."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, description: str, *, retry_after: int) -> None:
        super().__init__(description, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ConnectionLimitReached(OAuthError):
    """The server process holds as many connections as it may; a new one is refused (503)."""

    error = "temporarily_unavailable"
    status_code = 503


class ServerError(OAuthError):
    error = "server_error"
    status_code = 500


class RedirectError(Exception):
    """An authorization error to deliver to a *verified* redirect URI (RFC 6749 §4.1.2.1).

    The core raises this only after the client and its redirect_uri have been validated;
    before that point it raises a plain :class:`OAuthError`, which the web layer renders as
    an error page and never as a redirect (RFC 9700 §4.11.2, open-redirect prevention).
    """

    def __init__(
        self,
        cause: OAuthError,
        *,
        redirect_uri: str,
        state: str | None,
        response_mode: str = "query",
        signing: ResponseSigning | None = None,
    ) -> None:
        super().__init__(cause.description)
        self.cause = cause
        self.redirect_uri = redirect_uri
        self.state = state
        self.response_mode = response_mode
        #: For a JARM response mode: who the signed error is for, and its algorithm.
        self.signing = signing


class InteractionError(Exception):
    """A login/consent page was used with an unknown, expired, finished or foreign interaction.

    Rendered as an error page telling the user to start again from the application.
    """


class InteractionExhausted(InteractionError):
    """A login page took as many password checks as one interaction may
    (``maximumAttemptsPerInteraction``); the interaction is over."""

    def __init__(self) -> None:
        super().__init__("too many sign-in attempts on one login page")


class OutboundError(Exception):
    """A request authgate made to a client's URL (``jwks_uri``, back-channel logout) failed.

    Never sent as is: the core maps it to the protocol error of the request it serves.
    """


class LoginFailed(Exception):
    """Wrong username or password, or an attempt refused by brute-force protection. The
    message never says which, nor whether the account exists or is locked (no enumeration).

    Args:
        retry_after: Seconds this source must wait before its next attempt, when it must; the
            message then says so (it depends only on this source's failures for the username
            typed, never on the account).
    """

    MESSAGE = "Invalid username or password."

    def __init__(self, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        hint = f" Try again in {retry_after} seconds." if retry_after else ""
        super().__init__(self.MESSAGE + hint)


class EmailNotVerified(LoginFailed):
    """The password was right, but the account's email address must be verified before it
    may sign in (``selfServiceEmailVerificationRequired``); the message says what to do."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)
        self.retry_after = None


class UserCodeRejected(Exception):
    """A user code typed on the device verification page is not a live one, or this source
    must wait before it may try another (RFC 8628 §5.1). The message never says whether a
    code exists.

    Args:
        retry_after: Seconds this source must wait before its next attempt, when it must.
    """

    MESSAGE = "That code is not valid. Check the code shown on your device and try again."

    def __init__(self, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        hint = f" Try again in {retry_after} seconds." if retry_after else ""
        super().__init__(self.MESSAGE + hint)


class FactorFailed(Exception):
    """A second-factor code was wrong, already used, or refused by brute-force protection. The
    message never says which.

    Args:
        retry_after: Seconds this source must wait before its next attempt, when it must.
    """

    MESSAGE = "That code is not valid."

    def __init__(self, retry_after: int | None = None) -> None:
        self.retry_after = retry_after
        hint = f" Try again in {retry_after} seconds." if retry_after else ""
        super().__init__(self.MESSAGE + hint)


class CsrfError(Exception):
    """A login or consent form was posted without the interaction's CSRF token."""


class AlreadyExists(Exception):
    """A store refused a write because an id or unique name it carries is taken; nothing was
    written. Stores map their database's constraint error to this at their boundary, so the
    use cases never see a storage exception (the Config API answers 409 where it expects one).
    """
