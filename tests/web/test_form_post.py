"""response_mode=form_post (OAuth 2.0 Form Post Response Mode §2): an auto-submitting page
that is safe to render, for successes and for errors after the redirect URI is trusted."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlencode

import httpx
import pytest

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    Flow,
    authorize_params,
    hidden_form,
    new_verifier,
    s256,
    token_form,
)


def _params(client_id: str, response_type: str = "code", **extra: str) -> dict[str, str]:
    params = authorize_params(client_id, s256(new_verifier()), "S256", **extra)
    params["response_type"] = response_type
    params["response_mode"] = "form_post"
    return params


async def _authorize(http: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    return await http.get("/jans-auth/restv1/authorize?" + urlencode(params))


def _script_hashes(html: str) -> list[str]:
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    return [
        "sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts
    ]


def _assert_safe_page(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "*" not in csp
    assert "unsafe-inline" not in directives["script-src"]
    hashes = _script_hashes(response.text)
    assert len(hashes) == 1, "exactly one inline script"
    assert directives["script-src"] == f"'{hashes[0]}'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"


@SQLITE_ONLY  # the page; test_code_from_form_post_is_redeemable redeems on both databases
@pytest.mark.parametrize("response_type", ["code", "code id_token", "id_token token"])
async def test_success_is_an_auto_submitting_form(
    http: httpx.AsyncClient, flow: Flow, response_type: str
) -> None:
    client = await flow.register()
    result = await flow.browser.authorize(_params(client["client_id"], response_type))
    assert result.mode == "form_post"
    assert result.location == REDIRECT_URI
    parts = set(response_type.split())
    assert ("code" in result.params) == ("code" in parts)
    assert ("access_token" in result.params) == ("token" in parts)
    assert ("id_token" in result.params) == ("id_token" in parts)
    assert result.params["iss"] == ISSUER
    # a second request is silent (SSO): the page comes straight from /authorize
    params = _params(client["client_id"], response_type)
    response = await _authorize(http, params)
    _assert_safe_page(response)
    action, fields = hidden_form(response.text)
    assert action == REDIRECT_URI
    assert fields["state"] == params["state"]


async def test_code_from_form_post_is_redeemable(flow: Flow) -> None:
    client = await flow.register()
    verifier = new_verifier()
    params = _params(client["client_id"])
    params["code_challenge"] = s256(verifier)
    result = await flow.browser.authorize(params)
    response = await flow.token(token_form(client["client_id"], result.params["code"], verifier))
    assert response.status_code == 200, response.text


async def test_values_are_escaped(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    state = '"><script>alert(1)</script><input name="x'
    response = await _authorize(http, _params(client["client_id"], state=state))
    _assert_safe_page(response)
    assert "<script>alert(1)</script>" not in response.text
    _, fields = hidden_form(response.text)
    assert fields["state"] == state
    assert "x" not in fields


async def test_errors_after_the_redirect_uri_is_trusted_are_form_posted(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register(administered=True)
    params = _params(client["client_id"], "id_token", prompt="none")
    response = await _authorize(http, params)
    _assert_safe_page(response)
    action, fields = hidden_form(response.text)
    assert action == REDIRECT_URI
    assert fields["error"] == "login_required"
    assert fields["state"] == params["state"]
    assert fields["iss"] == ISSUER
    # a bad nonce-less id_token request too
    del params["nonce"], params["prompt"]
    _, fields = hidden_form((await _authorize(http, params)).text)
    assert fields["error"] == "invalid_request"


async def test_errors_before_the_redirect_uri_is_trusted_are_pages(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    params = _params(client["client_id"], redirect_uri="https://evil.example/cb")
    response = await _authorize(http, params)
    assert response.status_code == 400
    assert "authgate-form-post" not in response.text
    assert "evil.example" not in response.text


async def test_denied_consent_is_form_posted(flow: Flow) -> None:
    client = await flow.register(administered=True)
    result = await flow.browser.authorize(_params(client["client_id"]), consent="deny")
    assert result.mode == "form_post"
    assert result.params["error"] == "access_denied"


async def test_form_post_can_be_turned_off(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, responseModesSupported=["query", "fragment"])
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["response_modes_supported"] == ["query", "fragment"]
    client = await flow.register(administered=True)
    response = await _authorize(http, _params(client["client_id"], "id_token"))
    assert response.status_code == 302
    assert "error=invalid_request" in response.headers["location"].split("#", 1)[1]
