"""Helpers for Config API tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx

from authgate.admin import paths
from tests.support import (
    Browser,
    authorize_params,
    flow_registration_body,
    new_verifier,
    s256,
    token_form,
)


async def client_credentials_token(
    http: httpx.AsyncClient, client_id: str, secret: str, scopes: Iterable[str]
) -> str:
    response = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


class Api:
    """The Config API over the test's HTTP client, with a bearer token."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params, headers=self.headers)

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.headers)

    async def put(self, path: str, body: Any) -> httpx.Response:
        return await self.http.put(path, json=body, headers=self.headers)

    async def patch_json(self, path: str, body: Any) -> httpx.Response:
        return await self.http.patch(path, json=body, headers=self.headers)

    async def delete(self, path: str) -> httpx.Response:
        return await self.http.delete(path, headers=self.headers)

    async def patch_config(self, ops: Any, content_type: str = paths.JSON_PATCH) -> httpx.Response:
        return await self.http.patch(
            paths.CONFIG,
            content=ops if isinstance(ops, bytes) else json.dumps(ops).encode(),
            headers={**self.headers, "Content-Type": content_type},
        )

    async def config(self) -> dict[str, Any]:
        response = await self.get(paths.CONFIG)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def sign_in(http: httpx.AsyncClient, browser: Browser, **credentials: str) -> dict[str, Any]:
    """Register the flow document's client, log in through the browser, redeem the code.

    Returns the token response.
    """
    client = (await http.post("/jans-auth/restv1/register", json=flow_registration_body())).json()
    verifier = new_verifier()
    params = authorize_params(client["client_id"], s256(verifier), "S256")
    result = await browser.authorize(params, **credentials)
    assert "code" in result.params, result.params
    response = await http.post(
        "/jans-auth/restv1/token",
        data=token_form(client["client_id"], result.params["code"], verifier),
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    tokens["client_id"] = client["client_id"]
    return tokens
