"""The HTTP client of every request authgate makes to a client's URL, under the
:class:`~authgate.outbound.policy.OutboundPolicy`.

* Destinations: each new connection resolves the host, checks every address with the policy
  and connects to a checked address (TLS still verifies the host name). Refused
  destinations raise :class:`~authgate.outbound.policy.OutboundRefused` before anything is
  sent.
* No redirects are followed (a 3xx is an answer like any other), no proxy, ``.netrc`` or
  other environment setting is used, only ``http`` and ``https`` URLs without user
  information are accepted.
* Limits: every exchange is bounded in time as a whole (and its connection attempt
  separately), and a response body larger than the limit is not read past it.

Errors are :class:`authgate.errors.OutboundError` subclasses whose messages name the
failure (``timed out``, ``ConnectError``, the policy's reason), never a response body.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import httpcore

from authgate.errors import OutboundError
from authgate.outbound.policy import OutboundPolicy, OutboundRefused

USER_AGENT = b"authgate"


class OutboundTimeout(OutboundError):
    """The exchange took longer than its time limit."""


class OutboundTooLarge(OutboundError):
    """The response body is larger than the limit."""


class OutboundFailed(OutboundError):
    """A network or protocol error; the message is the error's name."""


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    status: int
    body: bytes


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the policy allows, resolved once."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._policy.resolve(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve() returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("unix sockets are not a destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise OutboundRefused("the URL cannot be parsed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused("only http and https URLs with a host are fetched")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("URLs with user information are not fetched")


def _encoded(headers: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
    return [(k.encode("ascii"), v.encode("latin-1")) for k, v in (headers or {}).items()]


@functools.cache
def default_tls_context() -> ssl.SSLContext:
    """The system's trust store in one TLS context per process, made at first use.

    Loading the certificate authorities costs tens of milliseconds of CPU and about a megabyte;
    one context serves any number of connections and clients, so every client without one
    of its own shares this."""
    return ssl.create_default_context()


class OutboundClient:
    """``get`` and ``post_form`` under one :class:`OutboundPolicy`; close with
    :meth:`aclose`."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 50,
    ) -> None:
        self.policy = policy
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or default_tls_context(),
            max_connections=max_connections,
            max_keepalive_connections=10,
            keepalive_expiry=30.0,
            network_backend=_CheckedBackend(policy),
        )

    async def get(
        self,
        url: str,
        *,
        accept: str = "application/json",
        timeout: float | None = None,
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> OutboundResponse:
        """``GET url``: the status and the body (at most ``max_bytes``); ``headers`` are sent
        too (e.g. ``Authorization``).

        Raises:
            OutboundError: refused, failed, timed out or too large (see the module).
        """
        sent = [(b"Accept", accept.encode("ascii")), *_encoded(headers)]
        return await self._exchange("GET", url, sent, None, timeout, max_bytes)

    async def post_form(
        self,
        url: str,
        form: Mapping[str, str],
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> OutboundResponse:
        """``POST url`` with a form-encoded body: the status and the body.

        Raises:
            OutboundError: refused, failed, timed out or too large (see the module).
        """
        body = urlencode(form).encode("ascii")
        sent = [(b"Content-Type", b"application/x-www-form-urlencoded"), *_encoded(headers)]
        return await self._exchange("POST", url, sent, body, timeout, max_bytes)

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        timeout: float | None,
        max_bytes: int | None,
    ) -> OutboundResponse:
        _check_url(url)
        limit = self.policy.timeout if timeout is None else timeout
        largest = self.policy.max_bytes if max_bytes is None else max_bytes
        connect = min(limit, self.policy.connect_timeout)
        extensions: dict[str, object] = {
            "timeout": {"connect": connect, "read": limit, "write": limit, "pool": limit}
        }
        try:
            async with asyncio.timeout(limit):
                return await self._send(
                    method, url, [(b"User-Agent", USER_AGENT), *headers], body, extensions, largest
                )
        except TimeoutError:
            raise OutboundTimeout("timed out") from None
        except httpcore.TimeoutException:
            raise OutboundTimeout("timed out") from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise OutboundFailed(type(exc).__name__) from None
        except ssl.SSLError:
            raise OutboundFailed("TLSError") from None

    async def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        extensions: dict[str, object],
        largest: int,
    ) -> OutboundResponse:
        async with self._pool.stream(
            method, url, headers=headers, content=body, extensions=extensions
        ) as response:
            received = bytearray()
            async for chunk in response.aiter_stream():
                received += chunk
                if len(received) > largest:
                    raise OutboundTooLarge(f"the response is larger than {largest} bytes")
            return OutboundResponse(response.status, bytes(received))

    async def aclose(self) -> None:
        await self._pool.aclose()
