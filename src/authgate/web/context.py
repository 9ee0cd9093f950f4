"""Access to the running server's services from a request, and request parameter parsing."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from authgate.core.params import single_valued
from authgate.core.ports import Services
from authgate.errors import InvalidDPoPProof, InvalidRequest

FORM = "application/x-www-form-urlencoded"
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
    body = await request.body()
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


def dpop_header(request: Request) -> str | None:
    """The request's ``DPoP`` header, if any.

    Raises:
        InvalidDPoPProof: more than one DPoP header (RFC 9449 §4.3, check 1).
    """
    values = request.headers.getlist("dpop")
    if len(values) > 1:
        raise InvalidDPoPProof("Send exactly one DPoP header")
    return values[0] if values else None


def query(request: Request) -> dict[str, str]:
    return single_valued(parse_qsl(request.url.query, keep_blank_values=True))
