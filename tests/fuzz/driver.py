"""One fuzz request, sent to the ASGI application in-process the way an HTTP server hands it
over, and the checks on its answer.

Requests are ASGI scopes built by hand rather than through an HTTP client, so they can carry
what a client library would escape or refuse but a server passes through: raw bytes in the
query string and header values (obs-text), percent-encoded NUL and control characters in the
path, any method the HTTP parser knows, a body in several chunks, or a body cut short by a
disconnect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import orjson
from starlette.types import ASGIApp, Message

from authgate.admin import paths as api
from authgate.core import endpoints as ep

#: What uvicorn refuses to write in a response head (its httptools protocol raises, and the
#: client gets a broken connection): a response header the application must never produce.
HEADER_NAME_RE = re.compile(b'[\x00-\x1f\x7f()<>@,;:\\[\\]={} \t\\\\"]')
HEADER_VALUE_RE = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
#: Endpoints whose errors are OAuth error bodies (RFC 6749 §5.2, RFC 6750 §3, RFC 7591 §3.2.2):
#: a 4xx there other than the router's 404 and 405 must be a JSON object with ``error``.
JSON_ERROR_PATHS = frozenset(
    {ep.TOKEN, ep.PAR, ep.INTROSPECTION, ep.REVOKE, ep.REGISTER, ep.USERINFO}
    | {api.CONFIG, api.CLIENTS, api.SCOPES, api.USERS, api.KEYS, api.SESSIONS, api.AUDIT}
)


@dataclass
class FuzzRequest:
    """A request as an HTTP server delivers it to the application."""

    label: str
    method: str
    raw_path: bytes
    query: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    chunks: int = 1
    abort: bool = False
    #: The peer address: the generator spreads requests over many, as a botnet would, so
    #: per-source limits leave most of them to reach the endpoints.
    client: str = "198.51.100.7"

    @property
    def path(self) -> str:
        """The decoded path, as uvicorn computes it (``%`` escapes decoded, bad UTF-8
        replaced)."""
        from urllib.parse import unquote

        return unquote(self.raw_path.decode("ascii"))

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def describe(self, limit: int = 300) -> str:
        """The request as it would go on the wire, each part cut at ``limit`` bytes, for a
        failure report."""

        def cut(value: bytes) -> str:
            return repr(value[:limit]) + (
                f" ... ({len(value)} bytes)" if len(value) > limit else ""
            )

        target = self.raw_path + (b"?" + self.query if self.query else b"")
        lines = [f"{self.method} {cut(target)}  (from {self.client})"]
        lines += [f"  {name!r}: {cut(value)}" for name, value in self.headers]
        delivery = f"{self.chunks} chunk(s)" + (", then a disconnect" if self.abort else "")
        lines.append(f"  body in {delivery}: {cut(self.body)}")
        return "\n".join(lines)


@dataclass
class FuzzResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    complete: bool

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


def scope_of(request: FuzzRequest) -> dict[str, object]:
    headers = list(request.headers)
    if request.body and not request.header(b"content-length") and request.chunks == 1:
        headers.append((b"content-length", str(len(request.body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.raw_path,
        "query_string": request.query,
        "root_path": "",
        "headers": headers,
        "client": (request.client, 50123),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


async def send(app: ASGIApp, request: FuzzRequest) -> FuzzResponse:
    """Deliver ``request`` to ``app`` and collect what it answers."""
    body = request.body
    size = max(1, -(-len(body) // request.chunks)) if body else 1
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    if request.abort:
        pieces = pieces[: max(1, len(pieces) // 2)]
    messages: list[Message] = [
        {"type": "http.request", "body": piece, "more_body": index < len(pieces) - 1}
        for index, piece in enumerate(pieces)
    ]
    if request.abort:
        messages[-1]["more_body"] = True
        messages.append({"type": "http.disconnect"})
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def capture(message: Message) -> None:
        sent.append(message)

    await app(scope_of(request), receive, capture)
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    if start is None:
        return FuzzResponse(0, [], b"", complete=False)
    chunks = [m for m in sent if m["type"] == "http.response.body"]
    complete = bool(chunks) and not chunks[-1].get("more_body", False)
    return FuzzResponse(
        start["status"],
        list(start.get("headers", [])),
        b"".join(m.get("body", b"") for m in chunks),
        complete,
    )


def _oauth_error_body(response: FuzzResponse) -> bool:
    if not (response.header(b"content-type") or b"").startswith(b"application/json"):
        return False
    try:
        body = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), str)


def problems(request: FuzzRequest, response: FuzzResponse) -> list[str]:
    """What is wrong with ``response``: empty when nothing is."""
    found: list[str] = []
    if response.status == 0:
        found.append("no response was started")
    elif response.status >= 500:
        found.append(f"status {response.status}")
    if response.status and not response.complete:
        found.append("the response body was never completed")
    # the answer to a request whose client has gone is read by nobody: its format is moot
    refused = 400 <= response.status < 500 and response.status not in (404, 405)
    if (
        refused
        and not request.abort
        and request.path in JSON_ERROR_PATHS
        and (not _oauth_error_body(response))
    ):
        found.append(f"a {response.status} that is not an OAuth error body")
    for name, value in response.headers:
        if HEADER_NAME_RE.search(name) or HEADER_VALUE_RE.search(value):
            found.append(f"a response header a server cannot send: {name!r}: {value[:200]!r}")
    return found
