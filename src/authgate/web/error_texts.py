"""What the error page tells a person, by protocol error code, in their language.

The page shows this sentence (translated) and, below it, the error code and the server's own
English description for the application's developer: protocol codes and descriptions are
for programs and stay English (RFC 6749 §4.1.2.1, §5.2; docs/theming.md, "Languages").
"""

from __future__ import annotations

from starlette.responses import Response

from authgate.web.i18n import N_, gettext
from authgate.web.pages import page

MESSAGES = {
    "invalid_request": N_("The application sent a request that this server cannot accept."),
    "invalid_client": N_(
        "This server does not know the application, or the application could not prove who it is."
    ),
    "unauthorized_client": N_("This application is not allowed to make this request."),
    "access_denied": N_("Access was denied."),
    "unsupported_response_type": N_(
        "The application asked for a kind of answer that this server does not give."
    ),
    "invalid_scope": N_(
        "The application asked for permissions that do not exist or that it may not have."
    ),
    "invalid_target": N_(
        "The application asked for access to a service this server does not know."
    ),
    "invalid_request_uri": N_("The application's request could not be found or has expired."),
    "invalid_request_object": N_("The application's signed request could not be verified."),
    "request_not_supported": N_(
        "The application sent its request in a form this server does not accept."
    ),
    "request_uri_not_supported": N_(
        "The application sent its request in a form this server does not accept."
    ),
    "invalid_redirect_uri": N_("The application's return address is not registered."),
    "login_required": N_("You need to sign in first."),
    "consent_required": N_("You need to allow this application first."),
    "server_error": N_("The server could not process the request."),
    "temporarily_unavailable": N_(
        "The server is busy or you tried too often. Wait a moment and try again."
    ),
}
#: For a code not listed above.
DEFAULT = N_("The request could not be completed.")


def message_for(error: str) -> str:
    """The translated sentence for ``error``."""
    return gettext(MESSAGES.get(error, DEFAULT))


def error_page(
    status_code: int,
    error: str,
    *,
    detail: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error page: ``message`` (already translated), or the code's own sentence, and the
    code with its English ``detail`` for developers."""
    return page(
        "error.html",
        status_code=status_code,
        headers=headers,
        error=error,
        message=message if message is not None else message_for(error),
        detail=detail,
    )
