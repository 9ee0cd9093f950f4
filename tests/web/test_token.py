"""The token endpoint: code binding, expiry, replay revocation, concurrency, client
authentication (including Janssen's clientAuthenticationFilters), and refresh."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import REDIRECT_URI, SQLITE_ONLY, FakeClock, Flow, token_form

TOKEN = "/jans-auth/restv1/token"


async def _userinfo(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )


async def test_redirect_uri_mismatch_at_token(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    response = await flow.token(
        token_form(client["client_id"], issued.code, issued.verifier, REDIRECT_URI + "x")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "redirect_uri does not match" in response.json()["error_description"]


async def test_redirect_uri_required_when_authorize_had_one(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    form = token_form(client["client_id"], issued.code, issued.verifier)
    del form["redirect_uri"]
    response = await flow.token(form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_code_expires(flow: Flow, clock: FakeClock) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    clock.advance(61)  # authorizationCodeLifetime is 60 s
    response = await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code has expired",
    }


async def test_code_lifetime_is_configurable(
    flow: Flow, clock: FakeClock, runtime: Runtime
) -> None:
    await patch_config(runtime, authorizationCodeLifetime=300)
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    clock.advance(200)
    assert (
        await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    ).status_code == 200


async def test_unknown_code(flow: Flow) -> None:
    client = await flow.register()
    response = await flow.token(token_form(client["client_id"], "not-a-code", "v" * 43))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_code_of_another_client(flow: Flow) -> None:
    victim = await flow.register()
    attacker = await flow.register(client_name="attacker")
    issued = await flow.code(victim["client_id"])
    response = await flow.token(token_form(attacker["client_id"], issued.code, issued.verifier))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    # the code is not burnt by the attempt: its own client still redeems it
    assert (
        await flow.token(token_form(victim["client_id"], issued.code, issued.verifier))
    ).status_code == 200


async def test_code_replay_revokes_issued_tokens(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    tokens = await flow.tokens(issued)
    assert (await _userinfo(http, tokens["access_token"])).status_code == 200
    replay = await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "already been used" in replay.json()["error_description"]
    # the tokens of the first exchange stop working
    info = await _userinfo(http, tokens["access_token"])
    assert info.status_code == 401
    assert info.json()["error"] == "invalid_token"
    refresh = await flow.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client["client_id"],
        }
    )
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"


async def test_concurrent_redemption_yields_exactly_one_success(flow: Flow) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    form = token_form(client["client_id"], issued.code, issued.verifier)
    responses = await asyncio.gather(*(flow.token(form) for _ in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, [r.text for r in responses]
    assert statuses.count(400) == 11
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r.status_code == 400)


async def test_filters_enabled_refuse_public_client(flow: Flow, runtime: Runtime) -> None:
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    await patch_config(runtime, clientAuthenticationFiltersEnabled=True)
    response = await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "clientAuthenticationFiltersEnabled" in response.json()["error_description"]
    assert response.headers["www-authenticate"] == 'Basic realm="jans-auth"'
    # turning it off again (what the flow document tells the operator to do) makes it work
    await patch_config(runtime, clientAuthenticationFiltersEnabled=False)
    response = await flow.token(token_form(client["client_id"], issued.code, issued.verifier))
    assert response.status_code == 200, response.text


async def test_filters_authenticate_by_custom_attribute(flow: Flow, runtime: Runtime) -> None:
    await patch_config(
        runtime,
        dynamicRegistrationCustomAttributes=["myCustomAttr1"],
        clientAuthenticationFilters=[
            {"filter": "myCustomAttr1={0}", "baseDn": "ou=clients,o=jans"}
        ],
    )
    client = await flow.register(myCustomAttr1="tenant-7f3a")
    assert client["myCustomAttr1"] == "tenant-7f3a"
    issued = await flow.code(client["client_id"])
    await patch_config(runtime, clientAuthenticationFiltersEnabled=True)
    form = token_form(client["client_id"], issued.code, issued.verifier)
    wrong = await flow.token(form | {"myCustomAttr1": "tenant-other"})
    assert wrong.status_code == 401
    right = await flow.token(form | {"myCustomAttr1": "tenant-7f3a"})
    assert right.status_code == 200, right.text


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_client_secret_basic_and_post(flow: Flow, method: str) -> None:
    client = await flow.register(token_endpoint_auth_method=method)
    issued = await flow.code(client["client_id"])
    form = token_form(client["client_id"], issued.code, issued.verifier)
    headers = {}
    if method == "client_secret_basic":
        raw = f"{client['client_id']}:{client['client_secret']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    else:
        form["client_secret"] = client["client_secret"]
    response = await flow.token(form, headers=headers)
    assert response.status_code == 200, response.text


async def test_wrong_secret_and_wrong_method(flow: Flow) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    issued = await flow.code(client["client_id"])
    form = token_form(client["client_id"], issued.code, issued.verifier)
    bad = base64.b64encode(f"{client['client_id']}:nope".encode()).decode()
    response = await flow.token(form, headers={"Authorization": f"Basic {bad}"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # a confidential client cannot pose as a public one
    response = await flow.token(form)
    assert response.status_code == 401
    # nor use the other secret method
    response = await flow.token(form | {"client_secret": client["client_secret"]})
    assert response.status_code == 401
    # a public client sending a secret is refused (Janssen branch (a))
    public = await flow.register()
    issued = await flow.code(public["client_id"])
    response = await flow.token(
        token_form(public["client_id"], issued.code, issued.verifier) | {"client_secret": "x"}
    )
    assert response.status_code == 401


#: Stands for the registered (public) client's id in the cases below.
CLIENT = "<registered client>"
MALFORMED = [
    pytest.param({"client_id": CLIENT, "code": "x"}, 400, "invalid_request", id="no grant_type"),
    pytest.param(
        {"grant_type": "password", "client_id": CLIENT, "username": "a", "password": "b"},
        400,
        "unsupported_grant_type",
        id="password grant",
    ),
    pytest.param(
        {"grant_type": "client_credentials", "client_id": CLIENT},
        400,
        "unauthorized_client",  # supported, but not registered for this public client
        id="client_credentials for a public client",
    ),
    pytest.param(
        {"grant_type": "authorization_code", "client_id": CLIENT},
        400,
        "invalid_request",
        id="no code",
    ),
    pytest.param(
        {"grant_type": "authorization_code", "code": "x"}, 401, "invalid_client", id="no client"
    ),
    pytest.param(
        {"grant_type": "authorization_code", "client_id": "nobody", "code": "x"},
        401,
        "invalid_client",
        id="unknown client",
    ),
]


@SQLITE_ONLY
@pytest.mark.parametrize(("form", "status", "error"), MALFORMED)
async def test_malformed_token_requests(
    http: httpx.AsyncClient, flow: Flow, form: dict[str, str], status: int, error: str
) -> None:
    client = await flow.register()
    form = {k: client["client_id"] if v == CLIENT else v for k, v in form.items()}
    response = await http.post(TOKEN, data=form)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]


@SQLITE_ONLY
async def test_unparseable_token_requests(http: httpx.AsyncClient) -> None:
    repeated = await http.post(
        TOKEN,
        content=b"grant_type=authorization_code&code=a&code=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert repeated.status_code == 400
    assert "more than once" in repeated.json()["error_description"]
    as_json = await http.post(TOKEN, json={"grant_type": "authorization_code"})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    garbage = await http.post(
        TOKEN, content=b"\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert garbage.status_code == 400
    assert (await http.get(TOKEN)).status_code == 405


async def test_error_reason_when_enabled(flow: Flow, runtime: Runtime) -> None:
    await patch_config(runtime, errorReasonEnabled=True)
    client = await flow.register()
    response = await flow.token(token_form(client["client_id"], "nope", "v" * 43))
    assert set(response.json()) == {"error", "error_description", "reason"}


async def test_refresh_rotates_and_detects_reuse(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": client["client_id"],
    }
    first = await flow.token(form)
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    # scope only when the request carried one (docs/janssen-compatibility.md §6.6)
    assert "scope" not in rotated
    assert "id_token" in rotated
    assert (await _userinfo(http, rotated["access_token"])).status_code == 200
    # presenting the old refresh token again, after the grace window, revokes the whole grant
    clock.advance(11)  # refreshTokenReuseGracePeriod is 10 s
    reuse = await flow.token(form)
    assert reuse.status_code == 400
    assert "already used" in reuse.json()["error_description"]
    assert (await _userinfo(http, rotated["access_token"])).status_code == 401
    again = await flow.token(form | {"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 400


async def test_refresh_scope_narrowing(flow: Flow) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": client["client_id"],
    }
    narrowed = await flow.token(form | {"scope": "openid"})
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "openid"
    wider = await flow.token(
        form | {"refresh_token": narrowed.json()["refresh_token"], "scope": "openid address"}
    )
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


async def test_refresh_token_of_another_client(flow: Flow) -> None:
    client = await flow.register()
    other = await flow.register(client_name="other")
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    response = await flow.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": other["client_id"],
        }
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_refresh_token_expires(flow: Flow, clock: FakeClock) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    clock.advance(14400 + 1)
    response = await flow.token(
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client["client_id"],
        }
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_no_refresh_token_without_the_grant(flow: Flow, runtime: Runtime) -> None:
    await patch_config(runtime, grantTypesAndResponseTypesAutofixEnabled=False)
    client = await flow.register()
    assert client["grant_types"] == ["authorization_code"]
    tokens = await flow.tokens(await flow.code(client["client_id"]))
    assert "refresh_token" not in tokens


async def test_offline_access_policy(flow: Flow, runtime: Runtime) -> None:
    await patch_config(runtime, forceOfflineAccessScopeToEnableRefreshToken=True)
    client = await flow.register(scope="openid offline_access")
    tokens = await flow.tokens(await flow.code(client["client_id"], scope="openid"))
    assert "refresh_token" not in tokens
    tokens = await flow.tokens(await flow.code(client["client_id"], scope="openid offline_access"))
    assert "refresh_token" in tokens


async def test_no_id_token_without_openid(flow: Flow) -> None:
    client = await flow.register()
    tokens = await flow.tokens(await flow.code(client["client_id"], scope="profile"))
    assert "id_token" not in tokens
    assert "access_token" in tokens


@SQLITE_ONLY
async def test_oversized_bodies_are_refused(http: httpx.AsyncClient) -> None:
    big = b"grant_type=authorization_code&code=" + b"a" * 70_000
    response = await http.post(
        TOKEN, content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"
    response = await http.post(
        "/jans-auth/restv1/register",
        content=b'{"x":"' + b"a" * 70_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
