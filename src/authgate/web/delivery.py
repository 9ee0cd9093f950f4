"""Delivering an authorization response (success or error) to the client's redirect URI.

Three response modes: ``query`` (RFC 6749 §4.1.2), ``fragment`` (OAuth 2.0 Multiple
Response Type Encoding Practices §2.1) and ``form_post`` (OAuth 2.0 Form Post Response
Mode §2): an HTML page whose form auto-submits the parameters to the redirect URI with
POST. ``iss`` is added to every response when enabled (RFC 9207 §2). Each has a JARM
variant (``query.jwt``, ``fragment.jwt``, ``form_post.jwt``) that carries one parameter,
``response``, the signed JWT :mod:`authgate.core.authorize.jarm` makes of the others.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode, urlsplit, urlunsplit

from markupsafe import Markup
from starlette.responses import Response

from authgate.core import profile
from authgate.core.authorize import jarm
from authgate.core.authorize.jarm import ResponseSigning
from authgate.core.authorize.response import AuthorizationResponse
from authgate.core.ports import Services
from authgate.web.pages import page
from authgate.web.responses import add_query, redirect

#: The one script of the form_post page; allowed by its hash, not by 'unsafe-inline'.
FORM_POST_SCRIPT = 'document.getElementById("authgate-form-post").submit();'
FORM_POST_SCRIPT_HASH = (
    "sha256-" + base64.b64encode(hashlib.sha256(FORM_POST_SCRIPT.encode("utf-8")).digest()).decode()
)
#: form_post pages may run exactly that script; nothing loads from anywhere, no framing.
#: No ``form-action``: browsers apply it to the redirects that follow the submission too,
#: which would break clients whose callback redirects to another origin.
FORM_POST_CSP = (
    f"default-src 'none'; script-src '{FORM_POST_SCRIPT_HASH}'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def add_fragment(uri: str, params: dict[str, str]) -> str:
    """The redirect URI with ``params`` form-encoded in its fragment (registered redirect
    URIs never have a fragment of their own: RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, urlencode(params)))


def form_post(redirect_uri: str, params: dict[str, str]) -> Response:
    """The auto-submitting form page (OAuth 2.0 Form Post Response Mode §2).

    Values are HTML-escaped by the template; the page is not cached and cannot be framed.
    A ``<noscript>`` button lets a user without JavaScript submit it by hand.
    """
    return page(
        "form_post.html",
        headers={"Content-Security-Policy": FORM_POST_CSP},
        action=redirect_uri,
        fields=sorted(params.items()),
        script=Markup(FORM_POST_SCRIPT),  # noqa: S704 - a constant, allowed by its CSP hash
    )


def deliver(
    redirect_uri: str,
    params: dict[str, str],
    svc: Services,
    *,
    response_mode: str = "query",
    status_code: int = 302,
    headers: dict[str, str] | None = None,
    signing: ResponseSigning | None = None,
) -> Response:
    """Send ``params`` to the client in ``response_mode``, adding ``iss`` when enabled.

    ``status_code`` applies to the redirecting modes: 302 from the authorize endpoint and
    303 after a form post, so the browser never re-posts credentials to the client
    (RFC 9700 §4.12). ``form_post`` answers 200 with the form page. A JARM mode needs
    ``signing``; its JWT holds ``iss`` as a claim, so no ``iss`` parameter goes beside it.

    Raises:
        ValueError: an unknown response mode (validation refuses those earlier), or a JARM
            mode without ``signing``.
        ServerError: no active key for the client's signing algorithm.
    """
    if jarm.is_jwt(response_mode):
        if signing is None:
            raise ValueError(f"response_mode {response_mode} needs the client's signing")
        params = jarm.response_params(params, signing, svc)
        response_mode = jarm.carrier(response_mode)
    elif profile.iss_in_authorization_responses(svc.config.current):
        params = {**params, "iss": svc.issuer}
    if response_mode == "query":
        target = add_query(redirect_uri, params)
    elif response_mode == "fragment":
        target = add_fragment(redirect_uri, params)
    elif response_mode == "form_post":
        return form_post(redirect_uri, params)
    else:
        raise ValueError(f"response_mode {response_mode} is not implemented")
    return redirect(target, status_code=status_code, headers=headers)


def deliver_response(
    response: AuthorizationResponse, svc: Services, *, status_code: int = 302
) -> Response:
    """:func:`deliver` for a response the core issued, in its mode, signed if that is a JARM
    mode."""
    return deliver(
        response.redirect_uri,
        response.params,
        svc,
        response_mode=response.response_mode,
        status_code=status_code,
        signing=response.signing,
    )
