"""Access to the running server's services from a request, and request parameter parsing."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from authgate.core.params import single_valued
from authgate.core.ports import Services
from authgate.errors import InvalidRequest, RequestTooLarge

FORM = "application/x-www-form-urlencoded"
#: No protocol request needs more; larger bodies are refused before they are buffered.
MAX_BODY = 64 * 1024


def services(request: Request) -> Services:
    svc: Services = request.app.state.runtime.services
    return svc


def secure_cookies(request: Request) -> bool:
    return services(request).issuer.startswith("https://")


async def form(request: Request) -> dict[str, str]:
    """A form-encoded body as single-valued parameters (RFC 6749 §3.2, Appendix B)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise InvalidRequest(f"The request body must be {FORM}")
    body = await read_body(request)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise InvalidRequest("The request body is not valid UTF-8") from None
    return single_valued(pairs)


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing more than ``limit`` bytes without buffering them.

    Raises:
        RequestTooLarge: the declared or actual length exceeds ``limit``.
    """
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(f"The request body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def query(request: Request) -> dict[str, str]:
    return single_valued(parse_qsl(request.url.query, keep_blank_values=True))
