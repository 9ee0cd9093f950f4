"""The logged-out page with front-channel logout (OpenID Connect Front-Channel Logout 1.0 §4).

The page loads each front-channel logout URI in a hidden iframe and, once every iframe has
loaded or after :data:`FRONTCHANNEL_TIMEOUT_MS`, goes on to the post-logout redirect URI (if
the request had one; otherwise it stays, saying the user is signed out). Its one script is a
constant allowed by its hash; the URIs travel in HTML-escaped ``data-`` attributes, and the
script creates the iframes itself so that no load can finish before it listens. Without
JavaScript, ``<noscript>`` holds the same iframes and a link to continue.

Content Security Policy: frames from exactly the front-channel URIs
(:func:`authgate.core.logout.frontchannel.frame_sources`), that script, inline styles, and
nothing else; the page itself cannot be framed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from markupsafe import Markup
from starlette.responses import Response

from authgate.core.logout.frontchannel import frame_sources
from authgate.web.pages import page

#: How long the page waits for the iframes before it goes on regardless (milliseconds).
FRONTCHANNEL_TIMEOUT_MS = 5000
FRONTCHANNEL_SCRIPT = (
    "(function(){"
    'var box=document.getElementById("authgate-frontchannel");'
    'var next=box.getAttribute("data-next");'
    'var spans=box.querySelectorAll("span[data-src]");'
    "var left=spans.length,done=false;"
    "function go(){if(done){return;}done=true;if(next){window.location.replace(next);}"
    'else{var p=document.getElementById("signing-out");if(p){p.textContent="Done.";}}}'
    "spans.forEach(function(s){"
    'var f=document.createElement("iframe");'
    'f.title="Signing out of an application";f.width="0";f.height="0";f.hidden=true;'
    'f.addEventListener("load",function(){left-=1;if(left<=0){go();}});'
    'f.src=s.getAttribute("data-src");box.appendChild(f);});'
    f"setTimeout(go,{FRONTCHANNEL_TIMEOUT_MS});"
    "if(left===0){go();}"
    "})();"
)
FRONTCHANNEL_SCRIPT_HASH = (
    "sha256-"
    + base64.b64encode(hashlib.sha256(FRONTCHANNEL_SCRIPT.encode("utf-8")).digest()).decode()
)


def frontchannel_csp(uris: Sequence[str]) -> str:
    """The page's policy: the iframes' sources, the one script, and nothing else."""
    frames = " ".join(frame_sources(uris))
    return (
        f"default-src 'none'; frame-src {frames}; script-src '{FRONTCHANNEL_SCRIPT_HASH}'; "
        "style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def logged_out(frontchannel: Sequence[str], next_uri: str | None) -> Response:
    """The logged-out page loading ``frontchannel`` (may be empty), then going to ``next_uri``."""
    headers = {"Content-Security-Policy": frontchannel_csp(frontchannel)} if frontchannel else {}
    return page(
        "logged_out.html",
        headers=headers,
        frontchannel=list(frontchannel),
        next=next_uri,
        script=Markup(FRONTCHANNEL_SCRIPT),  # noqa: S704 - a constant, allowed by its CSP hash
    )
