"""An async HTTP client of the Config API, used by the TUI and by ``authgate ... --url``.

It obtains its own access token with the ``client_credentials`` grant
(docs/janssen-compatibility.md §9.1), renews it when it expires or is refused once, and turns
failures into two exceptions:
:class:`ServerUnreachable` (no connection) and :class:`AdminApiError` (an error response,
including refused credentials).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from authgate.admin import paths
from authgate.core import endpoints


class ServerUnreachable(Exception):
    """The server could not be reached (refused connection, DNS failure, timeout)."""


class AdminApiError(Exception):
    """The server answered with an error (``error``/``error_description`` when JSON)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{description} ({error}, HTTP {status})")
        self.status = status
        self.error = error
        self.description = description


class AdminClient:
    """The Config API at ``base_url`` (the issuer URL), as the admin client."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = (client_id, client_secret)
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout)
        self._token: tuple[str, float] | None = None

    async def __aenter__(self) -> AdminClient:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"cannot reach {self.base_url}: {exc or type(exc).__name__}"
            ) from None

    @staticmethod
    def _error(response: httpx.Response) -> AdminApiError:
        try:
            body = response.json()
            return AdminApiError(response.status_code, body["error"], body["error_description"])
        except (ValueError, KeyError, TypeError):
            return AdminApiError(
                response.status_code, "http_error", response.text[:200] or response.reason_phrase
            )

    async def token(self) -> str:
        """A valid access token (client_credentials), fetched when needed."""
        if self._token is not None and self._token[1] > time.monotonic():
            return self._token[0]
        response = await self._send(
            "POST",
            endpoints.TOKEN,
            data={"grant_type": "client_credentials"},
            auth=self._credentials,
        )
        if response.status_code != 200:
            error = self._error(response)
            raise AdminApiError(
                error.status, error.error, f"admin credentials refused: {error.description}"
            )
        body = response.json()
        self._token = (
            body["access_token"],
            time.monotonic() + max(int(body["expires_in"]) - 10, 1),
        )
        return self._token[0]

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        """Send an authenticated request; the decoded JSON body, or None for 204."""
        for attempt in (1, 2):
            auth = {"Authorization": f"Bearer {await self.token()}"}
            response = await self._send(method, path, headers={**(headers or {}), **auth}, **kwargs)
            if response.status_code != 401 or attempt == 2:
                break
            self._token = None  # expired or revoked meanwhile: fetch a new one, once
        if response.status_code >= 400:
            raise self._error(response)
        return None if response.status_code == 204 else response.json()

    # --- configuration -----------------------------------------------------------------------

    async def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = await self.request("GET", paths.CONFIG)
        return config

    async def patch_config(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        config: dict[str, Any] = await self.request(
            "PATCH", paths.CONFIG, json=operations, headers={"Content-Type": paths.JSON_PATCH}
        )
        return config

    async def set_property(self, name: str, value: Any) -> dict[str, Any]:
        return await self.set_properties({name: value})

    async def set_properties(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Replace properties in one JSON Patch: one revision, all or none of them."""
        ops = [{"op": "replace", "path": f"/{name}", "value": v} for name, v in changes.items()]
        return await self.patch_config(ops)

    async def config_schema(self) -> dict[str, Any]:
        """The JSON Schema of the configuration document, from the server's OpenAPI document."""
        response = await self._send("GET", paths.OPENAPI)
        if response.status_code != 200:
            raise self._error(response)
        schema: dict[str, Any] = response.json()["components"]["schemas"]["AppConfiguration"]
        return schema

    # --- clients, scopes, users, keys, sessions, audit, events --------------------------------

    async def list_clients(
        self, pattern: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        params = {"limit": limit} | ({"pattern": pattern} if pattern else {})
        found: list[dict[str, Any]] = await self.request("GET", paths.CLIENTS, params=params)
        return found

    async def get_client(self, client_id: str) -> dict[str, Any]:
        client: dict[str, Any] = await self.request("GET", f"{paths.CLIENTS}/{client_id}")
        return client

    async def create_client(self, body: dict[str, Any]) -> dict[str, Any]:
        client: dict[str, Any] = await self.request("POST", paths.CLIENTS, json=body)
        return client

    async def update_client(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
        client: dict[str, Any] = await self.request(
            "PUT", f"{paths.CLIENTS}/{client_id}", json=body
        )
        return client

    async def delete_client(self, client_id: str) -> None:
        await self.request("DELETE", f"{paths.CLIENTS}/{client_id}")

    async def list_scopes(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request("GET", paths.SCOPES, params={"limit": 500})
        return found

    async def list_users(
        self, pattern: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        params = {"limit": limit} | ({"pattern": pattern} if pattern else {})
        found: list[dict[str, Any]] = await self.request("GET", paths.USERS, params=params)
        return found

    async def get_user(self, user_id: str) -> dict[str, Any]:
        user: dict[str, Any] = await self.request("GET", f"{paths.USERS}/{user_id}")
        return user

    async def create_user(self, body: dict[str, Any]) -> dict[str, Any]:
        user: dict[str, Any] = await self.request("POST", paths.USERS, json=body)
        return user

    async def update_user(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        user: dict[str, Any] = await self.request("PATCH", f"{paths.USERS}/{user_id}", json=body)
        return user

    async def set_password(self, user_id: str, password: str) -> dict[str, Any]:
        user: dict[str, Any] = await self.request(
            "POST", f"{paths.USERS}/{user_id}/password", json={"password": password}
        )
        return user

    async def list_keys(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = await self.request("GET", paths.KEYS)
        return keys

    async def rotate_keys(self) -> dict[str, Any]:
        rotation: dict[str, Any] = await self.request("POST", paths.KEYS_ROTATE)
        return rotation

    async def list_sessions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request(
            "GET", paths.SESSIONS, params={"limit": 500}
        )
        return found

    async def revoke_session(self, sid: str) -> None:
        await self.request("DELETE", f"{paths.SESSIONS}/{sid}")

    async def list_audit(self, limit: int = 200) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request(
            "GET", paths.AUDIT, params={"limit": limit}
        )
        return found

    async def list_events(
        self, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit, "startIndex": offset + 1}
        if kind:
            params["kind"] = kind
        found: list[dict[str, Any]] = await self.request("GET", paths.EVENTS, params=params)
        return found

    async def list_initial_tokens(self, limit: int = 500) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request(
            "GET", paths.INITIAL_TOKENS, params={"limit": limit}
        )
        return found

    async def create_initial_token(self, body: dict[str, Any]) -> dict[str, Any]:
        issued: dict[str, Any] = await self.request("POST", paths.INITIAL_TOKENS, json=body)
        return issued

    async def revoke_initial_token(self, token_id: str) -> None:
        await self.request("DELETE", f"{paths.INITIAL_TOKENS}/{quote(token_id, safe='')}")

    async def list_lockouts(self, family: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 500} | ({"family": family} if family else {})
        found: list[dict[str, Any]] = await self.request("GET", paths.LOCKOUTS, params=params)
        return found

    async def clear_lockouts(self, selector: dict[str, str]) -> dict[str, Any]:
        """Clear by ``id`` (one counter), or by ``username``/``client_id``/``source``."""
        if "id" in selector:
            path = f"{paths.LOCKOUTS}/{quote(selector['id'], safe='')}"
            result: dict[str, Any] = await self.request("DELETE", path)
        else:
            result = await self.request("DELETE", paths.LOCKOUTS, params=selector)
        return result

    async def list_providers(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request("GET", paths.PROVIDERS)
        return found

    async def get_provider(self, alias: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.request(
            "GET", f"{paths.PROVIDERS}/{quote(alias, safe='')}"
        )
        return found

    async def add_provider(self, body: dict[str, Any]) -> dict[str, Any]:
        added: dict[str, Any] = await self.request("POST", paths.PROVIDERS, json=body)
        return added

    async def update_provider(self, alias: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"{paths.PROVIDERS}/{quote(alias, safe='')}"
        changed: dict[str, Any] = await self.request("PATCH", path, json=body)
        return changed

    async def remove_provider(self, alias: str) -> None:
        await self.request("DELETE", f"{paths.PROVIDERS}/{quote(alias, safe='')}")

    async def list_identities(
        self, user_id: str | None = None, alias: str | None = None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": 500}
        if user_id:
            params["user_id"] = user_id
        if alias:
            params["alias"] = alias
        found: list[dict[str, Any]] = await self.request("GET", paths.IDENTITIES, params=params)
        return found

    async def remove_identity(self, alias: str, subject: str) -> None:
        path = f"{paths.IDENTITIES}/{quote(alias, safe='')}/{quote(subject, safe='')}"
        await self.request("DELETE", path)

    # --- a user's grants and sessions (docs/account.md) -------------------------------------

    def _user_path(self, user: str, *rest: str) -> str:
        parts = [paths.USERS, quote(user, safe=""), *(quote(r, safe="") for r in rest)]
        return "/".join(parts)

    async def list_user_grants(self, user: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request("GET", self._user_path(user, "grants"))
        return found

    async def revoke_user_grant(self, user: str, client_id: str) -> dict[str, Any]:
        path = self._user_path(user, "grants", client_id)
        result: dict[str, Any] = await self.request("DELETE", path)
        return result

    async def revoke_user_grants(self, user: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("DELETE", self._user_path(user, "grants"))
        return result

    async def list_user_sessions(self, user: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request("GET", self._user_path(user, "sessions"))
        return found

    async def end_user_session(self, user: str, sid: str) -> None:
        await self.request("DELETE", self._user_path(user, "sessions", sid))

    async def end_user_sessions(self, user: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("DELETE", self._user_path(user, "sessions"))
        return result

    # --- a user's factors and passkeys (docs/account.md) -----------------------------------

    async def list_user_factors(self, user: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.request("GET", self._user_path(user, "factors"))
        return found

    async def reset_user_factors(self, user: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("DELETE", self._user_path(user, "factors"))
        return result

    async def remove_user_factor(self, user: str, factor_id: str) -> None:
        await self.request("DELETE", self._user_path(user, "factors", factor_id))

    async def list_user_passkeys(self, user: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.request("GET", self._user_path(user, "passkeys"))
        return found

    async def remove_user_passkey(self, user: str, credential_id: str) -> None:
        await self.request("DELETE", self._user_path(user, "passkeys", credential_id))
