"""The device authorization grant (RFC 8628) over HTTP, on SQLite and PostgreSQL: the device
authorization endpoint, the verification page, and the token endpoint's answers to polls."""

from __future__ import annotations

import httpx
import pytest

from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from tests.support import ISSUER, PASSWORD, USERNAME, FakeClock, hidden_form
from tests.web.device_support import (
    DEVICE_AUTHORIZATION,
    DEVICE_GRANT,
    DEVICE_PAGE,
    approve,
    poll,
    register_device_client,
    request_device,
)


async def test_discovery_advertises_the_endpoint_and_the_grant(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["device_authorization_endpoint"] == ISSUER + DEVICE_AUTHORIZATION
    assert DEVICE_GRANT in doc["grant_types_supported"]


async def test_the_device_authorization_response(http: httpx.AsyncClient) -> None:
    client = await register_device_client(http)
    assert client["grant_types"] == ["refresh_token", DEVICE_GRANT]
    response = await http.post(
        DEVICE_AUTHORIZATION, data={"client_id": client["client_id"], "scope": "openid profile"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    code = body["user_code"]
    assert len(code) == 9 and code[4] == "-"
    assert set(code.replace("-", "")) <= set("BCDFGHJKLMNPQRSTVWXZ")
    assert body["verification_uri"] == ISSUER + DEVICE_PAGE
    assert body["verification_uri_complete"] == f"{ISSUER}{DEVICE_PAGE}?user_code={code}"
    assert body["expires_in"] == 1800 and body["interval"] == 5


async def test_pending_slow_down_approved_once(
    http: httpx.AsyncClient, clock: FakeClock, runtime: Runtime
) -> None:
    client = await register_device_client(http)
    cid = client["client_id"]
    device = await request_device(http, cid, scope="openid offline_access")
    pending = await poll(http, cid, device["device_code"])
    assert pending.status_code == 400
    assert pending.json()["error"] == "authorization_pending"
    clock.advance(1)
    slow = await poll(http, cid, device["device_code"])
    assert slow.status_code == 400 and slow.json()["error"] == "slow_down"
    done = await approve(http, device["user_code"].lower().replace("-", ""))
    assert done.status_code == 200 and 'id="device-done"' in done.text
    assert "Device connected" in done.text
    # once approved, the next poll gets the tokens, however soon it comes
    tokens = await poll(http, cid, device["device_code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["scope"] == "openid offline_access"
    assert {"access_token", "refresh_token", "id_token"} <= set(body)
    claims = runtime.services.keys.verify(body["id_token"])
    assert claims["aud"] == cid and claims["grant"] == DEVICE_GRANT
    userinfo = await http.get(
        "/jans-auth/restv1/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert userinfo.status_code == 200, userinfo.text
    clock.advance(30)
    again = await poll(http, cid, device["device_code"])
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "The device code has already been used",
    }
    refreshed = await http.post(
        "/jans-auth/restv1/token",
        data={
            "grant_type": "refresh_token",
            "client_id": cid,
            "refresh_token": body["refresh_token"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text


async def test_denied(http: httpx.AsyncClient, runtime: Runtime) -> None:
    client = await register_device_client(http)
    device = await request_device(http, client["client_id"])
    done = await approve(http, device["user_code"], decision="deny")
    assert done.status_code == 200 and "Request denied" in done.text
    denied = await poll(http, client["client_id"], device["device_code"])
    assert denied.status_code == 400
    assert denied.json()["error"] == "access_denied"
    await runtime.services.events.flush()
    events = await runtime.services.events.list(kind=EventKind.DEVICE_AUTHORIZATION_DENIED)
    assert [e.client_id for e in events] == [client["client_id"]]


async def test_expired_device_code(http: httpx.AsyncClient, clock: FakeClock) -> None:
    client = await register_device_client(http)
    device = await request_device(http, client["client_id"])
    clock.advance(1800)
    expired = await poll(http, client["client_id"], device["device_code"])
    assert expired.status_code == 400 and expired.json()["error"] == "expired_token"
    page = await http.get(DEVICE_PAGE, params={"user_code": device["user_code"]})
    assert page.status_code == 400 and "expired" in page.text


async def test_unknown_device_code_and_wrong_client(http: httpx.AsyncClient) -> None:
    client = await register_device_client(http)
    other = await register_device_client(http)
    device = await request_device(http, client["client_id"])
    unknown = await poll(http, client["client_id"], "no-such-device-code")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"
    wrong = await poll(http, other["client_id"], device["device_code"])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    missing = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": DEVICE_GRANT, "client_id": client["client_id"]},
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


async def test_device_authorization_errors(http: httpx.AsyncClient) -> None:
    code_client = (
        await http.post(
            "/jans-auth/restv1/register",
            json={
                "redirect_uris": ["http://127.0.0.1:9/cb"],
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code"],
            },
        )
    ).json()
    no_grant = await http.post(DEVICE_AUTHORIZATION, data={"client_id": code_client["client_id"]})
    assert no_grant.status_code == 400 and no_grant.json()["error"] == "unauthorized_client"
    client = await register_device_client(http)
    bad_scope = await http.post(
        DEVICE_AUTHORIZATION, data={"client_id": client["client_id"], "scope": "openid admin"}
    )
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"
    detailed = await http.post(
        DEVICE_AUTHORIZATION,
        data={"client_id": client["client_id"], "authorization_details": '[{"type": "x"}]'},
    )
    assert detailed.status_code == 400
    assert detailed.json()["error"] == "invalid_authorization_details"
    nobody = await http.post(DEVICE_AUTHORIZATION, data={"client_id": "no-such-client"})
    assert nobody.status_code == 401 and nobody.json()["error"] == "invalid_client"
    confidential = await register_device_client(
        http, token_endpoint_auth_method="client_secret_basic"
    )
    wrong_secret = await http.post(
        DEVICE_AUTHORIZATION,
        data={"scope": "openid"},
        auth=(confidential["client_id"], "not-the-secret"),
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    right = await http.post(
        DEVICE_AUTHORIZATION,
        data={"scope": "openid"},
        auth=(confidential["client_id"], confidential["client_secret"]),
    )
    assert right.status_code == 200, right.text


async def test_user_code_guesses_are_counted_and_slowed_down(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    settings = runtime.services.config.current.authenticationProtectionConfiguration
    for _ in range(settings.maximumAllowedAttemptsWithoutDelay):
        wrong = await http.get(DEVICE_PAGE, params={"user_code": "BBBB-BBBB"})
        assert wrong.status_code == 400 and 'id="device-error"' in wrong.text
        assert "retry-after" not in wrong.headers
    slowed = await http.get(DEVICE_PAGE, params={"user_code": "CCCC-CCCC"})
    assert slowed.status_code == 429
    assert slowed.headers["retry-after"] == str(settings.delayTime)
    assert "CCCC-CCCC" in slowed.text  # typed value kept in the form
    await runtime.services.events.flush()
    events = await runtime.services.events.list(kind=EventKind.USER_CODE_THROTTLED)
    assert len(events) == 1 and "CCCC" not in events[0].detail


async def test_the_page_is_framed_by_nobody_and_the_answer_needs_its_csrf_token(
    http: httpx.AsyncClient,
) -> None:
    entry = await http.get(DEVICE_PAGE)
    assert entry.status_code == 200 and 'name="user_code"' in entry.text
    assert "frame-ancestors 'none'" in entry.headers["content-security-policy"]
    client = await register_device_client(http)
    device = await request_device(http, client["client_id"])
    first = await http.get(device["verification_uri_complete"].removeprefix(ISSUER))
    login = await http.get(first.headers["location"])
    assert "Living Room TV" in login.text  # the normal sign-in page, naming the client
    action, fields = hidden_form(login.text)
    signed_in = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    page = await http.get(signed_in.headers["location"])
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert 'data-scope="openid"' in page.text and "Living Room TV" in page.text
    action, fields = hidden_form(page.text)
    forged = await http.post(action, data=fields | {"csrf": "forged", "decision": "approve"})
    assert forged.status_code == 403
    pending = await poll(http, client["client_id"], device["device_code"])
    assert pending.json()["error"] == "authorization_pending"
    done = await http.post(action, data=fields | {"decision": "approve"})
    assert done.status_code == 200
    replay = await http.post(action, data=fields | {"decision": "deny"})
    assert replay.status_code == 400  # one answer per code


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_signed_in_users_go_straight_to_the_approval(http: httpx.AsyncClient) -> None:
    client = await register_device_client(http)
    first = await request_device(http, client["client_id"])
    await approve(http, first["user_code"])
    second = await request_device(http, client["client_id"])
    response = await http.get(DEVICE_PAGE, params={"user_code": second["user_code"]})
    assert response.status_code == 303
    assert response.headers["location"].startswith(DEVICE_PAGE + "?ix=")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_device_interaction_never_reaches_the_consent_page(
    http: httpx.AsyncClient,
) -> None:
    client = await register_device_client(http)
    device = await request_device(http, client["client_id"])
    started = await http.get(DEVICE_PAGE, params={"user_code": device["user_code"]})
    ix = started.headers["location"].split("ix=")[1]
    consent = await http.get("/jans-auth/authorize.htm", params={"ix": ix})
    assert consent.status_code == 400 and "text/html" in consent.headers["content-type"]
    login = await http.get(started.headers["location"])
    action, fields = hidden_form(login.text)
    await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    posted = await http.post(
        "/jans-auth/authorize.htm", data={"ix": ix, "csrf": fields["csrf"], "decision": "allow"}
    )
    assert posted.status_code == 400
    pending = await poll(http, client["client_id"], device["device_code"])
    assert pending.json()["error"] == "authorization_pending"
