"""The pages' passkey script, served from this origin (the pages allow no other script)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from authgate.web.responses import PAGE_HEADERS

SCRIPT = Path(__file__).resolve().parent.parent / "static" / "passkeys.js"
#: The Content-Security-Policy of a page that runs :data:`SCRIPT`: the pages' own, plus
#: scripts and fetches from this origin only.
SCRIPT_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)
SCRIPT_PAGE = {"Content-Security-Policy": SCRIPT_CSP}
_BODY = SCRIPT.read_bytes()


async def passkeys_script(request: Request) -> Response:
    headers = {
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": PAGE_HEADERS["X-Content-Type-Options"],
    }
    return Response(_BODY, media_type="text/javascript", headers=headers)
