"""A small upstream identity provider for federation tests: a real HTTP server on 127.0.0.1
that serves a discovery document, a JWK Set, a token endpoint and a user API from replies the
test sets (by path), and records every request. Its id_tokens are real JWTs signed with a key
the test holds, so tests can tamper with them for real."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from tests.receiver import Received, Reply

ALG = "ES256"


@dataclass
class Upstream:
    """``async with Upstream() as up:``; ``up.issuer`` is its issuer (no path)."""

    replies: dict[str, Reply] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", {"kid": "up-1"}))
    port: int = 0
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> Upstream:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self.replies.setdefault("/.well-known/openid-configuration", Reply.json(self.discovery()))
        self.replies.setdefault("/jwks", Reply.json(self.jwks()))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def discovery(self, **extra: Any) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": [ALG],
            **extra,
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def id_token(self, *, now: float | None = None, key: ECKey | None = None, **claims: Any) -> str:
        """A signed id_token; ``now``: the downstream's clock (default: the real time)."""
        now = int(time.time() if now is None else now)
        body = {"iss": self.issuer, "aud": "downstream", "sub": "up-1", "iat": now,
                "exp": now + 300, **claims}  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode({"alg": ALG, "kid": "up-1"}, body, key or self.key)

    def token_reply(self, id_token: str | None = None, **extra: Any) -> None:
        body: dict[str, Any] = {"access_token": "up-access", "token_type": "Bearer", **extra}
        if id_token is not None:
            body["id_token"] = id_token
        self.replies["/token"] = Reply.json(body)

    def paths(self) -> list[str]:
        return [r.path.split("?")[0] for r in self.requests]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
            self.requests.append(Received(method, path, headers, body))
            reply = self.replies.get(path.split("?")[0], Reply(404, b"{}", "application/json"))
            writer.write(
                f"HTTP/1.1 {reply.status} X\r\nContent-Type: {reply.content_type}\r\n"
                f"Content-Length: {len(reply.body)}\r\nConnection: close\r\n\r\n".encode()
                + reply.body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
