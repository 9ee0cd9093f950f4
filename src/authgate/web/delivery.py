"""Delivering an authorization response (success or error) to the client's redirect URI."""

from __future__ import annotations

from starlette.responses import Response

from authgate.core import profile
from authgate.core.ports import Services
from authgate.web.responses import add_query, redirect


def deliver(
    redirect_uri: str,
    params: dict[str, str],
    svc: Services,
    *,
    response_mode: str = "query",
    status_code: int = 302,
    headers: dict[str, str] | None = None,
) -> Response:
    """Redirect to the client with ``params``, adding ``iss`` (RFC 9207 §2) when enabled.

    ``status_code`` is 302 for the authorize endpoint and 303 after a form post, so the
    browser never re-posts credentials to the client (RFC 9700 §4.12).
    """
    if profile.iss_in_authorization_responses(svc.config.current):
        params = {**params, "iss": svc.issuer}
    if response_mode != "query":  # pragma: no cover - only query is implemented
        raise ValueError(f"response_mode {response_mode} is not implemented")
    return redirect(add_query(redirect_uri, params), status_code=status_code, headers=headers)
