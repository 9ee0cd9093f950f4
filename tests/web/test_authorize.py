"""The authorization endpoint: redirect URI and client validation (error pages, never a
redirect), prompt handling, SSO, consent memory, and the interaction pages' protections."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import httpx
import pytest

from authgate.core.registration.endpoint import register
from authgate.runtime import Runtime
from tests.support import (
    ISSUER,
    REDIRECT_URI,
    SQLITE_ONLY,
    FakeClock,
    Flow,
    authorize_params,
    flow_registration_body,
    hidden_form,
    new_verifier,
    query_of,
    s256,
)


def _params(client_id: str, **extra: str) -> dict[str, str]:
    return authorize_params(client_id, s256(new_verifier()), "S256", **extra)


async def _get(http: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    return await http.get("/jans-auth/restv1/authorize?" + urlencode(params))


@SQLITE_ONLY
@pytest.mark.parametrize(
    "variant",
    [
        REDIRECT_URI + "/extra",
        REDIRECT_URI + "?x=1",
        REDIRECT_URI + "#frag",
        REDIRECT_URI.upper(),
        REDIRECT_URI.replace("127.0.0.1", "user@127.0.0.1"),
        REDIRECT_URI.replace("home.htm", "home.htm/"),
        REDIRECT_URI.replace(":8765", ":8766"),
        "https://evil.example/jans-auth-rp/home.htm",
    ],
)
async def test_redirect_uri_mismatch_shows_error_page(
    http: httpx.AsyncClient, flow: Flow, variant: str
) -> None:
    client = await flow.register()
    response = await _get(http, _params(client["client_id"], redirect_uri=variant))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid_request" in response.text
    assert "redirect_uri does not exactly match" in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_unknown_client_shows_error_page(http: httpx.AsyncClient) -> None:
    response = await _get(http, _params("no-such-client"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "unauthorized_client" in response.text


async def test_missing_client_id_shows_error_page(http: httpx.AsyncClient) -> None:
    params = _params("x")
    del params["client_id"]
    response = await _get(http, params)
    assert response.status_code == 400
    assert "client_id" in response.text


async def test_repeated_parameter_is_refused(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    query = urlencode(_params(client["client_id"])) + "&redirect_uri=https%3A%2F%2Fevil.example%2F"
    response = await http.get("/jans-auth/restv1/authorize?" + query)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "more than once" in response.text


async def test_redirect_uri_may_be_omitted_with_one_registered(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    params = dict(issued.params)
    del params["redirect_uri"]
    result = await flow.browser.authorize(params)
    assert result.location.startswith(REDIRECT_URI + "?")
    # the token request then need not repeat it (RFC 6749 §4.1.3); same challenge as before
    assert issued.verifier is not None
    form = {
        "grant_type": "authorization_code",
        "client_id": client["client_id"],
        "code": result.params["code"],
        "code_verifier": issued.verifier,
    }
    response = await flow.token(form)
    assert response.status_code == 200, response.text


async def test_unsupported_response_type_is_redirected(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    response = await _get(http, _params(client["client_id"], response_type="code device"))
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error["error"] == "unsupported_response_type"
    assert error["iss"] == ISSUER


async def test_missing_response_type(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    params = _params(client["client_id"])
    del params["response_type"]
    error = query_of((await _get(http, params)).headers["location"])
    assert error["error"] == "invalid_request"
    assert "response_type" in error["error_description"]


async def test_unsupported_response_mode(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    error = query_of(
        (await _get(http, _params(client["client_id"], response_mode="web_message"))).headers[
            "location"
        ]
    )
    assert error["error"] == "invalid_request"


async def test_malformed_request_object_is_an_error_page(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    """A request object is checked before its redirect URI can be trusted (RFC 9101 §6):
    its errors are shown, never redirected (tests/web/test_request_objects.py for more)."""
    client = await flow.register(administered=True)
    response = await _get(http, _params(client["client_id"], request="eyJ.x.y"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "invalid_request_object" in response.text


async def test_bad_prompt_values(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(administered=True)
    error = query_of(
        (await _get(http, _params(client["client_id"], prompt="none login"))).headers["location"]
    )
    assert error["error"] == "invalid_request"
    error = query_of(
        (await _get(http, _params(client["client_id"], prompt="sometimes"))).headers["location"]
    )
    assert error["error"] == "invalid_request"
    error = query_of(
        (await _get(http, _params(client["client_id"], max_age="-1"))).headers["location"]
    )
    assert error["error"] == "invalid_request"


async def test_prompt_none_without_session_is_login_required(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register(administered=True)
    params = _params(client["client_id"], prompt="none")
    response = await _get(http, params)
    assert response.status_code == 302
    error = query_of(response.headers["location"])
    assert error == {
        "error": "login_required",
        "error_description": "The user is not logged in (prompt=none)",
        "state": params["state"],
        "iss": ISSUER,
    }


async def test_prompt_none_without_consent_is_consent_required(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    first = await flow.register(administered=True)
    await flow.code(first["client_id"])  # logs the browser in
    second = await flow.register(administered=True, client_name="Other app")
    error = query_of(
        (await _get(http, _params(second["client_id"], prompt="none"))).headers["location"]
    )
    assert error["error"] == "consent_required"


async def test_sso_second_authorize_skips_login_and_consent(flow: Flow) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    result = await flow.browser.authorize(_params(client["client_id"]))
    assert result.pages == []
    assert "code" in result.params
    # prompt=none also succeeds silently now
    result = await flow.browser.authorize(_params(client["client_id"], prompt="none"))
    assert "code" in result.params


async def test_prompt_login_forces_login_again(flow: Flow) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    result = await flow.browser.authorize(_params(client["client_id"], prompt="login"))
    assert result.pages == ["login"]
    assert "code" in result.params


async def test_prompt_consent_forces_consent(flow: Flow) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    result = await flow.browser.authorize(_params(client["client_id"], prompt="consent"))
    assert result.pages == ["consent"]


async def test_max_age_forces_login_when_exceeded(flow: Flow, clock: FakeClock) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    clock.advance(120)
    result = await flow.browser.authorize(_params(client["client_id"], max_age="600"))
    assert result.pages == []
    result = await flow.browser.authorize(_params(client["client_id"], max_age="60"))
    assert result.pages == ["login"]


async def test_new_scope_asks_consent_again(flow: Flow) -> None:
    client = await flow.register()
    result = await flow.browser.authorize(_params(client["client_id"], scope="openid"))
    assert result.pages == ["login", "consent"]
    result = await flow.browser.authorize(_params(client["client_id"], scope="openid email"))
    assert result.pages == ["consent"]
    result = await flow.browser.authorize(_params(client["client_id"], scope="email openid"))
    assert result.pages == []


async def test_consent_denied_is_access_denied(flow: Flow) -> None:
    client = await flow.register(administered=True)
    params = _params(client["client_id"])
    result = await flow.browser.authorize(params, consent="deny")
    assert result.params["error"] == "access_denied"
    assert result.params["state"] == params["state"]
    assert result.params["iss"] == ISSUER
    assert "code" not in result.params


async def test_consent_page_lists_scopes_and_client(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    response = await _get(http, _params(client["client_id"]))
    login_url = response.headers["location"]
    page = await http.get(login_url)
    action, fields = hidden_form(page.text)
    fields |= {"username": "alice", "password": "correct horse battery staple"}
    consent = await http.post(action, data=fields)
    assert consent.status_code == 303
    page = await http.get(consent.headers["location"])
    assert "PKCE Test Client" in page.text
    for scope in ("openid", "profile", "email"):
        assert f'data-scope="{scope}"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_unknown_scopes_are_dropped(flow: Flow) -> None:
    client = await flow.register()
    result = await flow.browser.authorize(_params(client["client_id"], scope="openid admin:all"))
    assert result.params["scope"] == "openid"


async def test_login_failure_does_not_reveal_user_existence(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    login_url = (await _get(http, _params(client["client_id"]))).headers["location"]
    texts = []
    for username in ("alice", "nobody-here"):
        page = await http.get(login_url)
        action, fields = hidden_form(page.text)
        fields |= {"username": username, "password": "wrong password"}
        response = await http.post(action, data=fields)
        assert response.status_code == 401
        assert "Invalid username or password." in response.text
        assert "session_id" not in response.headers.get("set-cookie", "")
        texts.append(response.text.replace(username, "USER"))
    assert texts[0] == texts[1]


async def test_login_post_without_csrf_is_refused(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    login_url = (await _get(http, _params(client["client_id"]))).headers["location"]
    action, fields = hidden_form((await http.get(login_url)).text)
    fields |= {"username": "alice", "password": "correct horse battery staple", "csrf": "forged"}
    response = await http.post(action, data=fields)
    assert response.status_code == 403
    assert "session_id" not in response.headers.get("set-cookie", "")


async def test_interaction_is_bound_to_the_browser(
    http: httpx.AsyncClient, runtime: Runtime, flow: Flow
) -> None:
    client = await flow.register()
    login_url = (await _get(http, _params(client["client_id"]))).headers["location"]
    page = await http.get(login_url)
    action, fields = hidden_form(page.text)
    # an attacker's browser (no binding cookie) cannot use the victim's interaction
    other = httpx.AsyncClient(transport=http._transport, base_url=ISSUER)
    async with other:
        assert (await other.get(login_url)).status_code == 400
        fields |= {"username": "alice", "password": "correct horse battery staple"}
        assert (await other.post(action, data=fields)).status_code == 400


async def test_interaction_is_single_use(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    login_url = (await _get(http, _params(client["client_id"]))).headers["location"]
    action, fields = hidden_form((await http.get(login_url)).text)
    fields |= {"username": "alice", "password": "correct horse battery staple"}
    first = await http.post(action, data=fields)
    assert first.status_code == 303
    consent_url = first.headers["location"]
    action, fields = hidden_form((await http.get(consent_url)).text)
    fields["decision"] = "allow"
    done = await http.post(action, data=fields)
    assert done.status_code == 303
    assert done.headers["location"].startswith(REDIRECT_URI)
    replay = await http.post(action, data=fields)
    assert replay.status_code == 400
    assert "expired or was already used" in replay.text


async def test_expired_interaction(http: httpx.AsyncClient, flow: Flow, clock: FakeClock) -> None:
    client = await flow.register()
    login_url = (await _get(http, _params(client["client_id"]))).headers["location"]
    clock.advance(3600)
    assert (await http.get(login_url)).status_code == 400


async def test_login_form_answers_303_not_307(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    login_url = (await _get(http, _params(client["client_id"]))).headers["location"]
    action, fields = hidden_form((await http.get(login_url)).text)
    fields |= {"username": "alice", "password": "correct horse battery staple"}
    assert (await http.post(action, data=fields)).status_code == 303


async def test_authorize_by_post(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    response = await http.post("/jans-auth/restv1/authorize", data=_params(client["client_id"]))
    assert response.status_code == 302
    assert response.headers["location"].startswith("/jans-auth/login.htm?ix=")


async def test_session_cookie_attributes(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    login_url = (await _get(http, _params(client["client_id"]))).headers["location"]
    action, fields = hidden_form((await http.get(login_url)).text)
    fields |= {"username": "alice", "password": "correct horse battery staple"}
    response = await http.post(action, data=fields)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("session_id="))
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "secure" not in lowered  # the issuer here is http://127.0.0.1
    assert "path=/" in lowered


async def test_browser_is_anonymous_after_session_expiry(flow: Flow, clock: FakeClock) -> None:
    client = await flow.register()
    await flow.code(client["client_id"])
    clock.advance(86400 + 1)
    result = await flow.browser.authorize(_params(client["client_id"]))
    assert result.pages == ["login"]


async def test_error_page_escapes_input(http: httpx.AsyncClient) -> None:
    response = await _get(http, _params("<script>alert(1)</script>"))
    assert "<script>alert(1)</script>" not in response.text


async def test_concurrent_consents_for_one_user_and_client(runtime: Runtime) -> None:
    """Several tabs approving at once must all land, never a 500 (found under load)."""
    svc = runtime.services
    cid = (await register(flow_registration_body(), svc)).client.client_id
    scopes = [("openid",), ("email",), ("profile",), ("openid", "email")] * 3
    await asyncio.gather(*(svc.consents.grant("user-1", cid, s, svc.clock.now()) for s in scopes))
    assert await svc.consents.granted("user-1", cid) == {"openid", "email", "profile"}
