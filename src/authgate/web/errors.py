"""The one place where exceptions become HTTP responses.

* :class:`OAuthError` on a JSON endpoint: ``{"error", "error_description"[, "reason"]}``
  with the class's status, no-store caching, and ``WWW-Authenticate`` where the RFC wants it.
* :class:`OAuthError` on a browser endpoint (authorize, login, consent): an error page,
  never a redirect (the redirect URI is not trusted yet: RFC 9700 §4.11.2).
* :class:`RedirectError`: the error delivered to the verified redirect URI with ``state``
  and ``iss``.
* Interaction and CSRF errors: an error page.
* A client that closed the connection before its whole body arrived (Starlette's
  :class:`~starlette.requests.ClientDisconnect` while reading it): one INFO line; the empty
  response goes nowhere. Anything else: 500 ``server_error``, logged.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from authgate import metrics
from authgate.admin import paths as config_api
from authgate.core import endpoints
from authgate.errors import (
    REQUEST_LIMIT_ERRORS,
    CsrfError,
    InsufficientScope,
    InteractionError,
    InteractionExhausted,
    InvalidDPoPProof,
    InvalidToken,
    OAuthError,
    RedirectError,
    UseDPoPNonce,
)
from authgate.web.context import services
from authgate.web.delivery import deliver
from authgate.web.error_texts import error_page as render_error
from authgate.web.i18n import gettext as _
from authgate.web.responses import json_response

logger = logging.getLogger("authgate.web")
BROWSER_PATHS = frozenset(
    {
        endpoints.AUTHORIZE,
        endpoints.LOGIN_PAGE,
        endpoints.CONSENT_PAGE,
        endpoints.END_SESSION,
        endpoints.DEVICE_PAGE,
        endpoints.FACTOR_PAGE,
        endpoints.ENROL_PAGE,
    }
    | {endpoints.PASSKEY_LOGIN, endpoints.ACCOUNT_PASSKEYS}
    | {f"{endpoints.ACCOUNT_PASSKEYS}/{action}" for action in ("rename", "remove", "confirm")}
)
#: The account page and its sub-pages are browser pages too (docs/account.md).
ACCOUNT_ROOT = "/account"


#: The account's passkey ceremony endpoints answer their script in JSON, errors included.
ACCOUNT_JSON_PATHS = frozenset(
    f"{endpoints.ACCOUNT_PASSKEYS}/{action}"
    for action in ("options", "register", "confirm-options")
)


def is_browser_path(path: str) -> bool:
    if path in ACCOUNT_JSON_PATHS:
        return False
    return path in BROWSER_PATHS or path == ACCOUNT_ROOT or path.startswith(ACCOUNT_ROOT + "/")


#: Protected resources (with every Config API path): token and proof errors are 401 with a
#: challenge (RFC 6750 §3, RFC 9449 §7.1); at the token and PAR endpoints DPoP errors are 400
#: (RFC 9449 §5).
RESOURCE_PATHS = frozenset({endpoints.USERINFO})


def _resource(path: str) -> bool:
    return path in RESOURCE_PATHS or path.startswith(config_api.ROOT)


def _reason_enabled(request: Request) -> bool:
    try:
        return services(request).config.current.errorReasonEnabled
    except AttributeError:  # app without a runtime (should not happen)
        return False


def error_body(exc: OAuthError, with_reason: bool) -> dict[str, str]:
    body = {"error": exc.error, "error_description": exc.description}
    if with_reason:
        body["reason"] = exc.reason
    return body


def error_page(exc: OAuthError) -> Response:
    """The error page of a browser endpoint: 400 for protocol errors, since the user can only
    go back to the application, but a size refusal keeps its own status (413, 414, 431)."""
    keep = exc.status_code >= 500 or isinstance(exc, REQUEST_LIMIT_ERRORS)
    return render_error(exc.status_code if keep else 400, exc.error, detail=exc.description)


def _challenge(request: Request, exc: OAuthError) -> str:
    """``WWW-Authenticate`` for a resource error, in the scheme the client used."""
    description = exc.description.replace('"', "'").replace("\\", "/")
    header = request.headers.get("authorization", "")
    dpop = isinstance(exc, InvalidDPoPProof | UseDPoPNonce) or header[:5].lower() == "dpop "
    if not dpop:
        return f'Bearer error="{exc.error}", error_description="{description}"'
    algs = " ".join(services(request).config.current.dpopSigningAlgValuesSupported)
    return f'DPoP error="{exc.error}", error_description="{description}", algs="{algs}"'


async def oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    metrics.oauth_error(exc.error)
    log = logger.error if exc.status_code >= 500 else logger.info
    log("%s %s -> %s: %s", request.method, request.url.path, exc.error, exc.description)
    if is_browser_path(request.url.path):
        return error_page(exc)
    headers = dict(exc.headers)
    status = exc.status_code
    if isinstance(exc, InvalidToken | InsufficientScope):
        # a challenge set by the raiser wins (RFC 6750 §3.1: no error code without a token)
        headers.setdefault("WWW-Authenticate", _challenge(request, exc))
    elif isinstance(exc, InvalidDPoPProof | UseDPoPNonce) and _resource(request.url.path):
        headers["WWW-Authenticate"] = _challenge(request, exc)
        status = 401
    return json_response(error_body(exc, _reason_enabled(request)), status, headers=headers)


async def redirect_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RedirectError)
    metrics.oauth_error(exc.cause.error)
    logger.info("authorization error to client: %s (%s)", exc.cause.error, exc.cause.description)
    params = error_body(exc.cause, _reason_enabled(request))
    if exc.state is not None:
        params["state"] = exc.state
    status = 303 if request.method == "POST" else 302
    return deliver(
        exc.redirect_uri,
        params,
        services(request),
        response_mode=exc.response_mode,
        status_code=status,
        signing=exc.signing,
    )


async def interaction_error(request: Request, exc: Exception) -> Response:
    logger.info("interaction error: %s", exc)
    if isinstance(exc, InteractionExhausted):
        message = _(
            "Too many sign-in attempts on this page. Go back to the application and start again."
        )
    else:
        message = _(
            "This sign-in request has expired or was already used. "
            "Go back to the application and start again."
        )
    return render_error(400, "invalid_request", message=message)


async def csrf_error(request: Request, exc: Exception) -> Response:
    logger.info("CSRF check failed on %s", request.url.path)
    return render_error(
        403,
        "invalid_request",
        message=_("The form could not be verified. Reload the page and try again."),
    )


async def client_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away mid-request: nothing failed on this side, so no error is logged
    (handled here, the exception does not reach the server's own error log either)."""
    logger.info(
        "%s %s: the client closed the connection before sending its whole request",
        request.method,
        request.url.path,
    )
    return Response(status_code=400)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    metrics.oauth_error("server_error")
    if is_browser_path(request.url.path):
        return render_error(500, "server_error")
    return json_response(
        {"error": "server_error", "error_description": "The server could not process the request"},
        500,
    )


HANDLERS = {
    OAuthError: oauth_error,
    RedirectError: redirect_error,
    InteractionError: interaction_error,
    CsrfError: csrf_error,
    ClientDisconnect: client_disconnect,
    Exception: unexpected_error,
}
