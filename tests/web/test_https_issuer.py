"""Behind an https issuer, cookies are Secure and every URL uses the issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest

from authgate.runtime import Runtime
from authgate.web.app import create_app
from tests.support import (
    SQLITE_ONLY,
    authorize_params,
    fast_hasher,
    flow_registration_body,
    hidden_form,
    new_verifier,
    s256,
)
from tests.web.account.support import sign_in

HTTPS_ISSUER = "https://login.example.test"


@pytest.fixture
async def https_http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    settings = runtime.settings.model_copy(update={"issuer_url": HTTPS_ISSUER})
    rt = await Runtime.start(
        settings, migrate=False, passwords=fast_hasher(), clock=runtime.services.clock, poll=False
    )
    transport = httpx.ASGITransport(app=create_app(settings, rt))
    async with httpx.AsyncClient(transport=transport, base_url=HTTPS_ISSUER) as client:
        yield client
    await rt.stop()


async def test_cookies_are_secure_and_urls_use_the_issuer(https_http: httpx.AsyncClient) -> None:
    doc = (await https_http.get("/.well-known/openid-configuration")).json()
    assert doc["issuer"] == HTTPS_ISSUER
    assert doc["token_endpoint"].startswith(HTTPS_ISSUER + "/")
    client = (
        await https_http.post("/jans-auth/restv1/register", json=flow_registration_body())
    ).json()
    assert client["registration_client_uri"].startswith(HTTPS_ISSUER + "/")
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    response = await https_http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    binding = response.headers["set-cookie"].lower()
    assert "secure" in binding and "httponly" in binding and "samesite=lax" in binding
    action, fields = hidden_form((await https_http.get(response.headers["location"])).text)
    fields |= {"username": "alice", "password": "correct horse battery staple"}
    login = await https_http.post(action, data=fields)
    session_cookie = next(
        c for c in login.headers.get_list("set-cookie") if c.startswith("session_id=")
    )
    assert "secure" in session_cookie.lower()


@SQLITE_ONLY
async def test_the_account_pages_cookies_are_secure(https_http: httpx.AsyncClient) -> None:
    """The account page's redirect URI is derived from the https issuer; its cookies are
    Secure."""
    start = await https_http.get("/account/signin")
    assert (
        "redirect_uri=https%3A%2F%2Flogin.example.test%2Faccount%2Fcallback"
        in (start.headers["location"])
    )
    pending = start.headers["set-cookie"].lower()
    assert pending.startswith("authgate_account_signin=") and "secure" in pending
    page = await sign_in(https_http)
    assert page.status_code == 200, page.text
    account = next(c for c in https_http.cookies.jar if c.name == "authgate_account")
    assert account.secure
    assert account.path == "/account"
