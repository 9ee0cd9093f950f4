"""A signed request object (RFC 9101) followed in a real browser: headless Chromium opens an
authorization URL that carries only ``client_id``, ``response_type`` and ``request``, signs
in on the real login page, approves on the consent page and lands on the client's page with
a code that redeems; a tampered request object ends on the error page, before any login."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page

from tests.e2e.harness import AuthgateServer, RelyingPartySite
from tests.e2e.test_browser_flow import ADMIN, LOGIN_PATH, approve, path_of, submit_login
from tests.request_objects import jwks, request_claims, rsa_key, sign
from tests.support import flow_registration_body, new_verifier, query_of, s256

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]


def _register(api: httpx.Client, redirect_uri: str) -> dict[str, Any]:
    body = flow_registration_body(redirect_uri) | {
        "jwks": jwks(rsa_key()),
        "request_object_signing_alg": "RS256",
        "require_signed_request_object": True,
    }
    response = api.post("/jans-auth/restv1/register", json=body)
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def _url(server: AuthgateServer, client_id: str, request: str) -> str:
    query = urlencode({"client_id": client_id, "response_type": "code", "request": request})
    return f"{server.issuer}/jans-auth/restv1/authorize?{query}"


def test_request_object_in_the_browser(
    page: Page, api: httpx.Client, authgate_server: AuthgateServer, rp_site: RelyingPartySite
) -> None:
    client = _register(api, rp_site.redirect_uri)
    cid, verifier, state = client["client_id"], new_verifier(), str(uuid.uuid4())
    params = {
        "response_type": "code",
        "scope": "openid profile email",
        "redirect_uri": rp_site.redirect_uri,
        "state": state,
        "nonce": str(uuid.uuid4()),
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    claims = request_claims(cid, time.time(), params, aud=authgate_server.issuer)
    token = sign(claims, rsa_key())

    # tampered: the signature no longer matches; the error page, no login page
    tampered = token[: token.rindex(".") + 1] + "A" * 20
    response = page.goto(_url(authgate_server, cid, tampered))
    assert response is not None and response.status == 400
    assert path_of(page.url) == "/jans-auth/restv1/authorize"
    assert "invalid_request_object" in page.content()

    page.goto(_url(authgate_server, cid, token))
    assert path_of(page.url) == LOGIN_PATH
    submit_login(page, ADMIN, authgate_server.admin_password)
    landed = approve(page, rp_site.redirect_uri)
    assert landed.status == 200
    answer = query_of(page.url)
    assert answer["state"] == state
    tokens = api.post(
        "/jans-auth/restv1/token",
        data={
            "grant_type": "authorization_code",
            "client_id": cid,
            "code": answer["code"],
            "redirect_uri": rp_site.redirect_uri,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["id_token"]
