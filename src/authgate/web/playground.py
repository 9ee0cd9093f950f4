"""The PKCE playground: ``/playground`` walks a developer through the flow document's four
steps against this very server, in the browser (README, "The PKCE playground").

The pages hold no server-side logic beyond rendering: the page's script (a static file,
``web/static/playground.js``) does everything a visitor's own code could do, through the
public endpoints only (discovery, JWKS, registration, authorize, token, userinfo). The
configuration document's ``playgroundEnabled`` turns the pages and their assets off (404).

Every response carries a strict Content Security Policy: scripts, styles and fetches from
this origin only, nothing inline, no frames.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from authgate.core.endpoints import DISCOVERY_PATHS
from authgate.web.context import services
from authgate.web.pages import page
from authgate.web.responses import NO_STORE

PLAYGROUND = "/playground"
CALLBACK = "/playground/callback"
ASSET_PREFIX = "/playground/assets/"
STATIC = Path(__file__).parent / "static"
#: The files the pages load, and their media types; nothing else is served.
ASSET_TYPES = {
    "playground.js": "text/javascript; charset=utf-8",
    "playground-callback.js": "text/javascript; charset=utf-8",
    "playground.css": "text/css; charset=utf-8",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _assets() -> dict[str, bytes]:
    return {name: (STATIC / name).read_bytes() for name in ASSET_TYPES}


_ASSETS = _assets()


def enabled(request: Request) -> bool:
    return services(request).config.current.playgroundEnabled


def _not_found() -> Response:
    """What any unrouted path answers."""
    return PlainTextResponse("Not Found", status_code=404)


async def playground(request: Request) -> Response:
    if not enabled(request):
        return _not_found()
    issuer = services(request).issuer
    return page(
        "playground.html",
        headers=HEADERS,
        issuer=issuer,
        discovery=issuer + DISCOVERY_PATHS[0],
        callback=issuer + CALLBACK,
        assets=ASSET_PREFIX,
    )


async def callback(request: Request) -> Response:
    if not enabled(request):
        return _not_found()
    playground_url = services(request).issuer + PLAYGROUND
    return page(
        "playground_callback.html", headers=HEADERS, assets=ASSET_PREFIX, playground=playground_url
    )


async def asset(request: Request) -> Response:
    name = str(request.path_params["name"])
    if not enabled(request) or name not in _ASSETS:
        return _not_found()
    headers = {**HEADERS, "Cache-Control": "no-cache"}
    headers.pop("Pragma")
    return Response(_ASSETS[name], media_type=ASSET_TYPES[name], headers=headers)


def playground_routes() -> list[Route]:
    return [
        Route(PLAYGROUND, playground, methods=["GET"]),
        Route(CALLBACK, callback, methods=["GET"]),
        Route(ASSET_PREFIX + "{name}", asset, methods=["GET"]),
    ]
