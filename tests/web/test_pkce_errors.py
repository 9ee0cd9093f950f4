"""PKCE failures at the authorize and token endpoints: right error, right place, useful text."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    Flow,
    authorize_params,
    new_verifier,
    query_of,
    s256,
    token_form,
)


async def _authorize_error(
    http: httpx.AsyncClient, flow: Flow, params: dict[str, str]
) -> dict[str, str]:
    """Log in first (so the error cannot come from a missing session), then authorize."""
    await flow.code(params["client_id"])  # establishes the browser session and consent
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return query_of(location)


async def test_wrong_verifier_is_invalid_grant_and_does_not_consume_code(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    bad = await flow.token(token_form(client["client_id"], issued.code, new_verifier(64)))
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    assert "PKCE" in bad.json()["error_description"]
    # the legitimate client can still redeem it: a failed check consumes nothing
    # (docs/janssen-compatibility.md §5.3)
    good = await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    assert good.status_code == 200, good.text


async def test_missing_verifier_when_challenge_was_sent(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    response = await flow.token(token_form(client["client_id"], issued.code, None))
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "code_verifier is required: the authorization request carried a "
        "code_challenge",
    }


async def test_downgrade_verifier_without_challenge_is_refused(flow: Flow) -> None:
    # a confidential client may skip PKCE at authorize; it may not add a verifier afterwards
    client = await flow.register(token_endpoint_auth_method="client_secret_post")
    issued = await flow.code(client["client_id"], method=None)
    form = token_form(client["client_id"], issued.code, new_verifier(64))
    form["client_secret"] = client["client_secret"]
    response = await flow.token(form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "downgrade" in response.json()["error_description"]


async def test_confidential_client_without_pkce_still_works(flow: Flow) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_post")
    issued = await flow.code(client["client_id"], method=None)
    form = token_form(client["client_id"], issued.code, None)
    form["client_secret"] = client["client_secret"]
    response = await flow.token(form)
    assert response.status_code == 200, response.text


async def test_verifier_syntax_errors(flow: Flow) -> None:
    client = await flow.register()
    for verifier, needle in [
        ("a" * 42, "43 to 128"),
        ("a" * 129, "43 to 128"),
        ("a" * 50 + "+", "characters"),
    ]:
        issued = await flow.code(client["client_id"])
        response = await flow.token(token_form(client["client_id"], issued.code, verifier))
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"
        assert needle in response.json()["error_description"]


async def test_unknown_challenge_method_is_redirected_invalid_request(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    params = authorize_params(client["client_id"], s256(new_verifier()), "S-256")
    error = await _authorize_error(http, flow, params)
    assert error["error"] == "invalid_request"
    assert "code_challenge_method 'S-256' is not supported" in error["error_description"]
    assert error["state"] == params["state"]
    assert error["iss"] == ISSUER


async def test_public_client_without_challenge_is_refused(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    params = authorize_params(client["client_id"], None, None)
    error = await _authorize_error(http, flow, params)
    assert error["error"] == "invalid_request"
    assert "PKCE is required for public clients" in error["error_description"]
    assert "code" not in error


async def test_public_client_without_challenge_allowed_when_policy_off(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, requirePkceForPublicClients=False)
    client = await flow.register()
    issued = await flow.code(client["client_id"], method=None)
    tokens = await flow.tokens(issued)
    assert "access_token" in tokens


async def test_require_pkce_applies_to_confidential_clients(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, requirePkce=True)
    client = await flow.register(
        administered=True, token_endpoint_auth_method="client_secret_basic"
    )
    params = authorize_params(client["client_id"], None, None)
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    # not logged in yet: PKCE is checked before any login page is shown
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert "PKCE is required for this client" in error["error_description"]


async def test_per_client_require_pkce(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(
        administered=True, token_endpoint_auth_method="client_secret_basic", require_pkce=True
    )
    assert client["require_pkce"] is True
    params = authorize_params(client["client_id"], None, None)
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    assert query_of(response.headers["location"])["error"] == "invalid_request"


async def test_plain_can_be_refused_by_policy(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, codeChallengeMethodsSupported=["S256"])
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    client = await flow.register(administered=True)
    verifier = new_verifier(60)
    response = await http.get(
        "/jans-auth/restv1/authorize?"
        + urlencode(authorize_params(client["client_id"], verifier, "plain"))
    )
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert "'plain' is not allowed" in error["error_description"]


async def test_malformed_challenge_is_refused_at_authorize(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register(administered=True)
    response = await http.get(
        "/jans-auth/restv1/authorize?"
        + urlencode(authorize_params(client["client_id"], "tooshort", "S256"))
    )
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert "43 base64url characters" in error["error_description"]


async def test_method_without_challenge_is_refused(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    params = authorize_params(client["client_id"], None, "S256")
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    error = query_of(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert "without code_challenge" in error["error_description"]
