"""RFC 9207: ``iss`` in every authorization response, success and error, equal to the issuer;
never added where nothing is redirected; discovery tells the truth about it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    Browser,
    Flow,
    authorize_params,
    new_verifier,
    query_of,
    s256,
)

AUTHORIZE = "/jans-auth/restv1/authorize"


async def _redirect(http: httpx.AsyncClient, params: dict[str, str]) -> dict[str, str]:
    response = await http.get(AUTHORIZE, params=params)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return query_of(location)


async def test_success_response_has_iss(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    result = await flow.browser.authorize(issued.params | {"prompt": "none"})
    assert result.params["iss"] == ISSUER
    assert result.params["state"] == issued.params["state"]


REDIRECTED_ERRORS = [
    ({"response_type": "code code"}, "unsupported_response_type"),
    ({"response_type": "code device"}, "unsupported_response_type"),
    ({"code_challenge_method": "S512"}, "invalid_request"),
    ({"code_challenge": "short"}, "invalid_request"),
    ({"prompt": "none"}, "login_required"),
    ({"prompt": "bogus"}, "invalid_request"),
    ({"max_age": "soon"}, "invalid_request"),
    ({"response_mode": "web_message"}, "invalid_request"),
    ({"dpop_jkt": "not a thumbprint"}, "invalid_request"),
]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("change", "error"),
    REDIRECTED_ERRORS,
    ids=[" ".join(f"{k}={v}" for k, v in change.items()) for change, _ in REDIRECTED_ERRORS],
)
async def test_every_redirected_error_has_iss(
    flow: Flow, http: httpx.AsyncClient, change: dict[str, str], error: str
) -> None:
    client = await flow.register(administered=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256") | change
    result = await _redirect(http, params)
    assert result["error"] == error
    assert result["iss"] == ISSUER
    assert result["state"] == params["state"]


def _fragment(location: str) -> dict[str, str]:
    assert location.startswith(REDIRECT_URI + "#"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


async def test_fragment_success_and_error_have_iss(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register()  # the flow document's client: code, token, id_token
    params = authorize_params(client["client_id"], None, None, response_type="id_token token")
    result = await flow.browser.authorize(params)
    success = _fragment(result.location)
    assert success["access_token"] and success["id_token"]
    assert success["iss"] == ISSUER
    params = authorize_params(client["client_id"], None, None, response_type="id_token")
    del params["nonce"]  # required for id_token responses
    response = await http.get(AUTHORIZE, params=params)
    error = _fragment(response.headers["location"])
    assert error["error"] == "invalid_request"
    assert error["iss"] == ISSUER


async def test_form_post_error_has_iss(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register(administered=True)
    params = authorize_params(
        client["client_id"], s256(new_verifier()), "S256", prompt="none", response_mode="form_post"
    )
    response = await http.get(AUTHORIZE, params=params)
    assert response.status_code == 200
    assert 'name="error" value="login_required"' in response.text
    assert f'name="iss" value="{ISSUER}"' in response.text


async def test_missing_pkce_error_has_iss(flow: Flow, http: httpx.AsyncClient) -> None:
    client = await flow.register(administered=True)
    result = await _redirect(http, authorize_params(client["client_id"], None, None))
    assert result["error"] == "invalid_request"
    assert result["iss"] == ISSUER


async def test_access_denied_after_consent_has_iss(flow: Flow) -> None:
    client = await flow.register(administered=True)
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    result = await flow.browser.authorize(params, consent="deny")
    assert result.params["error"] == "access_denied"
    assert result.params["iss"] == ISSUER


async def test_consent_required_has_iss(flow: Flow, browser: Browser) -> None:
    client = await flow.register(administered=True)
    await flow.code(client["client_id"])
    other = await flow.register(administered=True, client_name="other")
    params = authorize_params(other["client_id"], s256(new_verifier()), "S256", prompt="none")
    result = await browser.authorize(params)
    assert result.params["error"] == "consent_required"
    assert result.params["iss"] == ISSUER


async def test_iss_is_added_to_an_existing_query(flow: Flow, http: httpx.AsyncClient) -> None:
    uri = "https://rp.example/cb?tenant=a"
    client = await flow.register(administered=True, redirect_uris=[uri])
    params = authorize_params(client["client_id"], None, None, redirect_uri=uri)
    response = await http.get(AUTHORIZE, params=params)
    location = response.headers["location"]
    assert location.startswith(uri + "&")
    assert query_of(location)["iss"] == ISSUER
    assert query_of(location)["tenant"] == "a"


async def test_error_pages_are_not_redirects(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    for params in (
        {"client_id": "nobody", "response_type": "code"},
        authorize_params(client["client_id"], None, None, redirect_uri="https://evil/cb"),
    ):
        response = await http.get(AUTHORIZE, params=params)
        assert response.status_code == 400
        assert "location" not in response.headers


async def test_iss_can_be_turned_off_and_discovery_follows(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, authorizationResponseIssParameterSupported=False)
    client = await flow.register(administered=True)
    result = await _redirect(http, authorize_params(client["client_id"], None, None))
    assert "iss" not in result
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["authorization_response_iss_parameter_supported"] is False


async def test_discovery_advertises_iss(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["authorization_response_iss_parameter_supported"] is True
