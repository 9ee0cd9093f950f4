"""A real relying party library (Authlib) sends its authorization request as a signed
request object (RFC 9101) to a real ``authgate serve``, and follows it through to tokens.

Authlib builds the authorization request (PKCE S256, state, nonce), signs it as a JWT with
its own JOSE implementation and the client's RSA key, sends it as ``request`` with only
``client_id`` and ``response_type`` beside it, redeems the code and validates the id_token;
the request object also carries a ``claims`` parameter asking for ``email`` in the id_token.
"""

from __future__ import annotations

import time
import uuid
import warnings
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.e2e.harness import AuthgateServer
from tests.e2e.test_rp_authlib import REDIRECT_URI, _app, _register, _user_agent

with warnings.catch_warnings():
    # Authlib 1.6+ points new code to joserfc (its authors' successor library); its own JOSE
    # module still works and is what an Authlib-based relying party signs with today.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey  # type: ignore[import-untyped]
    from authlib.jose import jwt as authlib_jwt


async def test_signed_request_object_through_to_tokens(authgate_server: AuthgateServer) -> None:
    key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "rp-1"})
    client = await _register(
        authgate_server.issuer,
        "none",
        jwks={"keys": [key.as_dict(is_private=False)]},
        request_object_signing_alg="RS256",
        require_signed_request_object=True,
    )
    assert client["require_signed_request_object"] is True
    app = _app(authgate_server, client)
    metadata = dict(await app.load_server_metadata())
    assert metadata["request_parameter_supported"] is True
    assert "RS256" in metadata["request_object_signing_alg_values_supported"]
    assert metadata["claims_parameter_supported"] is True
    # Authlib prepares the request (PKCE, state, nonce) ...
    prepared = await app.create_authorization_url(REDIRECT_URI)
    params = {k: v[0] for k, v in parse_qs(urlsplit(prepared["url"]).query).items()}
    assert params["code_challenge_method"] == "S256"
    # ... and signs it as a request object with its own JOSE code
    now = int(time.time())
    payload: dict[str, Any] = {
        **params,
        "iss": client["client_id"],
        "aud": metadata["issuer"],
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "claims": {"id_token": {"email": {"essential": True}}},
    }
    header = {"alg": "RS256", "kid": "rp-1", "typ": "oauth-authz-req+jwt"}
    request_object = authlib_jwt.encode(header, payload, key).decode("ascii")
    url = str(
        httpx.URL(
            metadata["authorization_endpoint"],
            params={
                "client_id": client["client_id"],
                "response_type": "code",
                "request": request_object,
            },
        )
    )
    async with httpx.AsyncClient(base_url=authgate_server.issuer, timeout=10) as browser:
        # the same request without a request object is refused: this client requires one
        # (on the error page: no user has approved this dynamically registered client yet)
        refused = await browser.get(prepared["url"])
        assert refused.status_code == 400
        assert "signed request objects" in refused.text
        location = await _user_agent(browser, url, authgate_server.admin_password)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert location.startswith(REDIRECT_URI + "?"), location
    assert answer["state"] == prepared["state"]
    token = dict(
        await app.fetch_access_token(
            redirect_uri=REDIRECT_URI,
            code=answer["code"],
            code_verifier=prepared["code_verifier"],
        )
    )
    assert token["token_type"].lower() == "bearer"
    claims = dict(await app.parse_id_token(token, nonce=prepared["nonce"]))
    assert claims["aud"] == client["client_id"]
    assert "email" in claims  # asked for in the id_token through the claims parameter
