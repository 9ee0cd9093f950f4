"""Access to the running server's services from a request, and request parameter parsing.

Every parameter, parsed header and path segment from the outside is read through here and
checked for control characters (:mod:`authgate.core.params`) before any handler sees it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from authgate.core.params import check_text, single_valued
from authgate.core.ports import Services
from authgate.errors import InvalidDPoPProof, InvalidRequest, RequestTooLarge

FORM = "application/x-www-form-urlencoded"
#: No protocol request needs more; larger bodies are refused before they are buffered.
MAX_BODY = 64 * 1024
#: ``request.state`` member naming the client a request is for (read by the CORS middleware).
CORS_CLIENT = "cors_client_id"


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
    params = single_valued(pairs)
    if "client_id" in params:
        bind_client(request, params["client_id"])
    return params


def bind_client(request: Request, client_id: str) -> None:
    """Say which client this request is for, so CORS can allow that client's origins."""
    setattr(request.state, CORS_CLIENT, client_id)


def header(request: Request, name: str) -> str | None:
    """A header the server parses, if present.

    Raises:
        InvalidRequest: its value holds a control character.
    """
    value = request.headers.get(name)
    if value is not None:
        check_text(name, value, what="header")
    return value


def authorization(request: Request) -> str | None:
    """The ``Authorization`` header, if any (checked as :func:`header`)."""
    return header(request, "authorization")


def dpop_header(request: Request) -> str | None:
    """The request's ``DPoP`` header, if any.

    Raises:
        InvalidDPoPProof: more than one DPoP header (RFC 9449 §4.3, check 1).
        InvalidRequest: a control character in it.
    """
    values = request.headers.getlist("dpop")
    if len(values) > 1:
        raise InvalidDPoPProof("Send exactly one DPoP header")
    for value in values:
        check_text("DPoP", value, what="header")
    return values[0] if values else None


def check_target(request: Request) -> None:
    """Check the path parameters and the whole query string of a request whose handler reads
    them directly (the Config API) rather than through :func:`query`.

    Raises:
        InvalidRequest: a control character in a path parameter or a query parameter.
    """
    for name, value in request.path_params.items():
        check_text(name, str(value), what="path segment")
    for name, value in parse_qsl(query_string(request), keep_blank_values=True):
        check_text(name, value)


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


def query_string(request: Request) -> str:
    """The raw query string of the request target (the limits refuse one that is not ASCII),
    read from the scope without building the request's whole URL."""
    raw: bytes = request.scope.get("query_string", b"")
    return raw.decode("latin-1")


def query(request: Request) -> dict[str, str]:
    return single_valued(parse_qsl(query_string(request), keep_blank_values=True))


#: The longest User-Agent kept with a login session.
USER_AGENT_MAX = 512


def user_agent(request: Request) -> str:
    """The request's User-Agent for display (the account page's session list): printable
    characters only, at most :data:`USER_AGENT_MAX`; "" when absent."""
    value = request.headers.get("user-agent", "")
    return "".join(c for c in value if c.isprintable())[:USER_AGENT_MAX]
