"""Authorization requests by reference to a pushed request (RFC 9126 §4).

At the authorization endpoint, ``request_uri`` + ``client_id`` replace every other parameter
with the ones pushed to the PAR endpoint. A request_uri is single use, expires after the
client's ``par_lifetime``, and only the client that pushed it can use it. Errors here come
before the redirect URI is known, so they are shown on an error page, never redirected.
"""

from __future__ import annotations

from collections.abc import Mapping

from authgate.core.ports import Services
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidRequest, InvalidRequestUri

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


async def resolve(params: Mapping[str, str], svc: Services) -> dict[str, str]:
    """The pushed parameters that ``params["request_uri"]`` refers to, consumed.

    Raises:
        InvalidRequest: no client_id.
        InvalidRequestUri: not a PAR request_uri, or unknown, expired, used or another
            client's.
    """
    client_id = params.get("client_id")
    if not client_id:
        raise InvalidRequest("client_id is required with request_uri (RFC 9126 §4)")
    value = params["request_uri"]
    if not value.startswith(REQUEST_URI_PREFIX) or len(value) == len(REQUEST_URI_PREFIX):
        raise InvalidRequestUri(
            "Only request_uri values issued by the pushed authorization request endpoint "
            "are supported"
        )
    handle = value[len(REQUEST_URI_PREFIX) :]
    pushed = await svc.pushed.consume(handle_hash(handle), client_id, svc.clock.now())
    if pushed is None:
        raise InvalidRequestUri(
            "The request_uri is unknown, expired, already used, or was pushed by another client"
        )
    return dict(pushed.params)
