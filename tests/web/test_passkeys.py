"""Passkeys over HTTP on both databases: enrolment on the account page, passwordless sign-in
through a whole authorization code flow, the second factor, and every refusal: an unknown
passkey, a response made for another origin (client data built here and signed with a real
P-256 key), another RP id, a replayed challenge, a removed passkey, a stale sign-in."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from authgate.core.security_events import EventKind
from authgate.crypto.handles import handle_hash
from authgate.runtime import Runtime
from tests.passkey_authenticator import SoftAuthenticator
from tests.support import (
    ISSUER,
    PASSWORD,
    USERNAME,
    Flow,
    authorization_result,
    authorize_params,
    hidden_form,
    new_verifier,
    s256,
    token_form,
)

ACCOUNT = "/account/security/passkeys"
RP_ID = "127.0.0.1"
EVIL = "https://evil.example"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found[1]


async def _account_csrf(http: httpx.AsyncClient) -> str:
    page = await http.get(ACCOUNT)
    assert page.status_code == 200, page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    return _csrf(page.text)


async def _signed_in(flow: Flow) -> dict[str, Any]:
    """Register the flow document's client and sign in once with the password (the session
    cookie stays in the client's jar)."""
    client = await flow.register(administered=True)
    await flow.code(client["client_id"])
    return client


async def _enrol(
    http: httpx.AsyncClient, device: SoftAuthenticator, **create: str
) -> httpx.Response:
    csrf = await _account_csrf(http)
    options = await http.post(f"{ACCOUNT}/options", data={"csrf": csrf})
    assert options.status_code == 200, options.text
    response = device.create(options.json(), **create)
    return await http.post(
        f"{ACCOUNT}/register",
        data={"csrf": csrf, "name": "Laptop", "credential": json.dumps(response)},
    )


async def _login_page(
    http: httpx.AsyncClient, client_id: str, **extra: str
) -> tuple[dict[str, str], str, dict[str, str]]:
    """A fresh browser's authorize request up to the login page: its fields, the PKCE
    verifier and the request's parameters."""
    http.cookies.clear()
    verifier = new_verifier(64)
    params = authorize_params(client_id, s256(verifier), "S256", **extra)
    start = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    assert start.status_code == 302 and "login.htm" in start.headers["location"]
    page = await http.get(start.headers["location"])
    assert 'autocomplete="username webauthn"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    _, fields = hidden_form(page.text)
    return {"ix": fields["ix"], "csrf": fields["csrf"]}, verifier, params


async def _options(
    http: httpx.AsyncClient, fields: dict[str, str], purpose: str = "login"
) -> dict[str, Any]:
    response = await http.post("/jans-auth/passkey/options", data={**fields, "purpose": purpose})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def _finish(http: httpx.AsyncClient, response: httpx.Response) -> dict[str, str]:
    """Follow the 303 after a sign-in through consent to the client's redirect."""
    for _ in range(4):
        result = authorization_result(response, [])
        if result is not None:
            return result.params
        page = await http.get(response.headers["location"])
        action, fields = hidden_form(page.text)
        response = await http.post(action, data={**fields, "decision": "allow"})
    raise AssertionError("no authorization response")


def _claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


async def _tokens(
    http: httpx.AsyncClient, client_id: str, code: str, verifier: str
) -> dict[str, Any]:
    response = await http.post(
        "/jans-auth/restv1/token", data=token_form(client_id, code, verifier)
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def _events(runtime: Runtime, kind: EventKind) -> list[str]:
    await runtime.services.events.flush()
    return [e.detail for e in await runtime.services.events.list(kind=kind)]


async def test_enrolment_then_passwordless_sign_in_ends_with_a_passkey_id_token(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    added = await _enrol(http, device)
    assert added.status_code == 201, added.text
    assert added.json() == {"credential_id": device.id, "name": "Laptop"}
    listing = await http.get(ACCOUNT)
    assert "Laptop" in listing.text and device.id in listing.text

    fields, verifier, params = await _login_page(http, client["client_id"])
    options = await _options(http, fields)
    assert options["allowCredentials"] == [] and options["rpId"] == RP_ID
    signed = await http.post(
        "/jans-auth/passkey/login", data={**fields, "credential": json.dumps(device.get(options))}
    )
    assert signed.status_code == 303, signed.text
    assert "session_id" in signed.cookies
    result = await _finish(http, signed)
    assert result["state"] == params["state"]
    tokens = await _tokens(http, client["client_id"], result["code"], verifier)
    claims = _claims(tokens["id_token"])
    assert claims["amr"] == ["hwk", "user"] and claims["acr"] == "phrh"
    assert await _events(runtime, EventKind.PASSKEY_ADDED) == ["passkey added"]
    stored = await runtime.services.passkeys.get(device.id)
    assert stored is not None and stored.sign_count == 1


async def _refused(
    http: httpx.AsyncClient, fields: dict[str, str], response: dict[str, Any]
) -> httpx.Response:
    refused = await http.post(
        "/jans-auth/passkey/login", data={**fields, "credential": json.dumps(response)}
    )
    assert refused.status_code == 403, refused.text
    assert "session_id" not in refused.cookies
    return refused


async def test_sign_in_refusals_are_clear_and_counted(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, device)).status_code == 201
    fields, _, _ = await _login_page(http, client["client_id"])

    stranger = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID, user_handle=b"h" * 32)
    page = await _refused(http, fields, stranger.get(await _options(http, fields)))
    assert "This passkey is not registered here" in page.text

    other_origin = device.get(await _options(http, fields), origin=EVIL)
    page = await _refused(http, fields, other_origin)
    assert "made for another site" in page.text

    other_rp = device.get(await _options(http, fields), rp_id="evil.example")
    page = await _refused(http, fields, other_rp)
    assert "belongs to another site" in page.text

    options = await _options(http, fields)
    good = device.get(options)
    assert (await http.post(
        "/jans-auth/passkey/login", data={**fields, "credential": json.dumps(good)}
    )).status_code == 303  # fmt: skip
    fields, _, _ = await _login_page(http, client["client_id"])
    page = await _refused(http, fields, device.get(options))  # the used challenge again
    assert "already used" in page.text or "not made for this page" in page.text

    malformed = await http.post(
        "/jans-auth/passkey/login", data={**fields, "credential": "{not json"}
    )
    assert malformed.status_code == 400 and "could not be read" in malformed.text

    details = await _events(runtime, EventKind.PASSKEY_FAILED)
    for reason in ("unknown_credential", "wrong_origin", "wrong_rp_id", "malformed_response"):
        assert f"passkey refused: {reason}" in details, details


async def test_a_replayed_challenge_on_the_same_page_is_refused(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, device)).status_code == 201
    fields, _, _ = await _login_page(http, client["client_id"])
    options = await _options(http, fields)
    page = await _refused(http, fields, device.get(options, origin=EVIL))
    assert "another site" in page.text
    page = await _refused(http, fields, device.get(options))
    assert "This passkey request was already used" in page.text


async def test_a_removed_passkey_no_longer_signs_in(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, device)).status_code == 201
    csrf = await _account_csrf(http)
    removed = await http.post(f"{ACCOUNT}/remove", data={"csrf": csrf, "credential_id": device.id})
    assert removed.status_code == 303
    assert "Passkey removed." in (await http.get(removed.headers["location"])).text
    assert await runtime.services.passkeys.get(device.id) is None
    assert await _events(runtime, EventKind.PASSKEY_REMOVED) == ["passkey removed by user"]
    fields, _, _ = await _login_page(http, client["client_id"])
    page = await _refused(http, fields, device.get(await _options(http, fields)))
    assert "it may have been removed" in page.text


async def test_enrolment_errors_are_json(http: httpx.AsyncClient, flow: Flow) -> None:
    await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    other_origin = await _enrol(http, device, origin=EVIL)
    assert other_origin.status_code == 403
    assert other_origin.json()["error"] == "access_denied"
    assert "made for another site" in other_origin.json()["error_description"]
    other_rp = await _enrol(http, device, rp_id="evil.example")
    assert other_rp.status_code == 403 and "another site" in other_rp.json()["error_description"]

    csrf = await _account_csrf(http)
    options = (await http.post(f"{ACCOUNT}/options", data={"csrf": csrf})).json()
    body = {"csrf": csrf, "name": "x", "credential": json.dumps(device.create(options))}
    assert (await http.post(f"{ACCOUNT}/register", data=body)).status_code == 201
    replayed = await http.post(f"{ACCOUNT}/register", data=body)
    assert replayed.status_code == 403
    assert "already used" in replayed.json()["error_description"]

    bad_csrf = await http.post(f"{ACCOUNT}/options", data={"csrf": "wrong"})
    assert bad_csrf.status_code == 403 and bad_csrf.json()["error"] == "access_denied"
    garbage = await http.post(f"{ACCOUNT}/register", data={"csrf": csrf, "credential": "[]"})
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"


async def test_the_account_page_needs_a_session_and_a_recent_sign_in(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    anonymous = await http.get(ACCOUNT)
    assert anonymous.status_code == 401 and "not signed in" in anonymous.text
    refused = await http.post(f"{ACCOUNT}/options", data={"csrf": "x"})
    assert refused.status_code == 400 and refused.json()["error"] == "login_required"

    await _signed_in(flow)
    csrf = await _account_csrf(http)
    runtime.services.clock.advance(301)  # type: ignore[attr-defined]
    stale = await http.get(ACCOUNT)
    assert 'id="confirm-needed"' in stale.text and 'id="passkey-add"' not in stale.text
    options = await http.post(f"{ACCOUNT}/options", data={"csrf": csrf})
    assert options.status_code == 403 and "recent sign-in" in options.json()["error_description"]

    wrong = await http.post(f"{ACCOUNT}/confirm", data={"csrf": csrf, "password": "nope"})
    assert wrong.status_code == 401 and "Invalid username or password." in wrong.text
    confirmed = await http.post(f"{ACCOUNT}/confirm", data={"csrf": csrf, "password": PASSWORD})
    assert confirmed.status_code == 303 and "session_id" in confirmed.cookies
    fresh = await http.get(ACCOUNT)
    assert 'id="passkey-add"' in fresh.text and USERNAME in fresh.text
    assert (await _enrol(http, SoftAuthenticator(origin=ISSUER, rp_id=RP_ID))).status_code == 201


async def test_rename_touches_only_the_users_own_passkey(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, device)).status_code == 201
    csrf = await _account_csrf(http)
    renamed = await http.post(
        f"{ACCOUNT}/rename",
        data={"csrf": csrf, "credential_id": device.id, "name": "  Work   key "},
    )
    assert renamed.status_code == 303
    stored = await runtime.services.passkeys.get(device.id)
    assert stored is not None and stored.name == "Work key"
    unknown = await http.post(
        f"{ACCOUNT}/rename", data={"csrf": csrf, "credential_id": "bm9uZQ", "name": "x"}
    )
    assert unknown.status_code == 400 and "No such passkey" in unknown.text
    control = await http.post(
        f"{ACCOUNT}/rename", data={"csrf": csrf, "credential_id": device.id, "name": "a\x07b"}
    )
    assert control.status_code == 400
    stored = await runtime.services.passkeys.get(device.id)
    assert stored is not None and stored.name == "Work key"


async def test_password_then_passkey_as_second_factor(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, device)).status_code == 201
    fields, verifier, _ = await _login_page(http, client["client_id"], acr_values="phr")
    password = await http.post(
        "/jans-auth/login.htm", data={**fields, "username": USERNAME, "password": PASSWORD}
    )
    assert password.status_code == 303
    assert password.headers["location"].startswith("/jans-auth/factor.htm?ix=")
    assert "session_id" not in password.cookies  # no session before the second factor
    skipped = await http.get(f"/jans-auth/authorize.htm?ix={fields['ix']}")
    assert skipped.status_code == 400  # the consent page needs the finished sign-in
    page = await http.get(password.headers["location"])
    assert page.status_code == 200 and "Use my passkey" in page.text
    assert 'data-passkey="second-factor"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    factor = {**fields, "method": "webauthn"}
    options = await _options(http, fields, "second-factor")
    assert [c["id"] for c in options["allowCredentials"]] == [device.id]
    wrong = await http.post(
        "/jans-auth/factor.htm",
        data={**factor, "credential": json.dumps(device.get(options, origin=EVIL))},
    )
    assert wrong.status_code == 401 and "That passkey could not be verified" in wrong.text
    assert any("wrong_origin" in d for d in await _events(runtime, EventKind.PASSKEY_FAILED))
    options = await _options(http, fields, "second-factor")
    done = await http.post(
        "/jans-auth/factor.htm", data={**factor, "credential": json.dumps(device.get(options))}
    )
    assert done.status_code == 303, done.text
    result = await _finish(http, done)
    claims = _claims(
        (await _tokens(http, client["client_id"], result["code"], verifier))["id_token"]
    )
    assert claims["amr"] == ["pwd", "hwk", "user", "mfa"] and claims["acr"] == "phrh"


async def test_without_a_passkey_phr_asks_for_what_the_user_can_reach(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    """acr_values are voluntary: phr asked of a user with no passkey is capped at mfa, and a
    user with no factor at all is walked through enrolment."""
    client = await flow.register(administered=True)
    fields, _, _ = await _login_page(http, client["client_id"], acr_values="phr")
    password = await http.post(
        "/jans-auth/login.htm", data={**fields, "username": USERNAME, "password": PASSWORD}
    )
    assert password.status_code == 303
    assert password.headers["location"].startswith("/jans-auth/factor.htm?ix=")
    page = await http.get(password.headers["location"])
    assert page.status_code == 303 and page.headers["location"].startswith("/jans-auth/enrol.htm")


async def test_the_script_is_served_from_this_origin(http: httpx.AsyncClient) -> None:
    script = await http.get("/jans-auth/passkeys.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "navigator.credentials.get" in script.text


@pytest.mark.parametrize("purpose", ["other"])
async def test_an_unknown_options_purpose_is_a_request_error(
    http: httpx.AsyncClient, flow: Flow, purpose: str
) -> None:
    client = await flow.register(administered=True)
    fields, _, _ = await _login_page(http, client["client_id"])
    response = await http.post("/jans-auth/passkey/options", data={**fields, "purpose": purpose})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_a_stale_sign_in_is_confirmed_with_a_passkey(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, device)).status_code == 201
    runtime.services.clock.advance(301)  # type: ignore[attr-defined]
    stale = await http.get(ACCOUNT)
    assert 'id="confirm-with-passkey"' in stale.text
    csrf = _csrf(stale.text)
    options = await http.post(f"{ACCOUNT}/confirm-options", data={"csrf": csrf})
    assert options.status_code == 200
    assert [c["id"] for c in options.json()["allowCredentials"]] == [device.id]
    wrong = await http.post(
        f"{ACCOUNT}/confirm",
        data={"csrf": csrf, "credential": json.dumps(device.get(options.json(), origin=EVIL))},
    )
    assert wrong.status_code == 403 and "made for another site" in wrong.text
    options = await http.post(f"{ACCOUNT}/confirm-options", data={"csrf": csrf})
    confirmed = await http.post(
        f"{ACCOUNT}/confirm",
        data={"csrf": csrf, "credential": json.dumps(device.get(options.json()))},
    )
    assert confirmed.status_code == 303 and "session_id" in confirmed.cookies
    fresh = await http.get(confirmed.headers["location"])
    assert 'id="passkey-add"' in fresh.text and "Thank you" in fresh.text
    session_row = await runtime.services.sessions.get(_session_hash(http))
    assert session_row is not None
    assert session_row.amr == ("hwk", "user") and session_row.acr == "phrh"


def _session_hash(http: httpx.AsyncClient) -> str:
    value = http.cookies.get("session_id")
    assert value
    return handle_hash(value)


async def test_repeated_failures_make_the_next_passkey_attempt_wait(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    client = await _signed_in(flow)
    device = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, device)).status_code == 201
    fields, _, _ = await _login_page(http, client["client_id"])
    protection = runtime.services.config.current.authenticationProtectionConfiguration
    for _ in range(protection.maximumAllowedAttemptsWithoutDelay + 1):
        await _refused(http, fields, device.get(await _options(http, fields), origin=EVIL))
    waiting = await _refused(http, fields, device.get(await _options(http, fields)))
    assert "Too many failed sign-in attempts" in waiting.text
    assert int(waiting.headers["retry-after"]) > 0
    await runtime.services.events.flush()
    stored = await runtime.services.passkeys.get(device.id)
    assert stored is not None and stored.sign_count == 0  # nothing was accepted


async def test_second_factor_refusals_are_counted_and_named(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    """On the factor page: a passkey removed after the options were issued, a replayed
    assertion and a passkey of another user are refused (401, each a passkey_failed event with
    its reason and a factor failure); the user's remaining passkey then signs in."""
    client = await _signed_in(flow)
    lost = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    kept = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID)
    assert (await _enrol(http, lost)).status_code == 201
    assert (await _enrol(http, kept)).status_code == 201
    fields, verifier, _ = await _login_page(http, client["client_id"])
    password = await http.post(
        "/jans-auth/login.htm", data={**fields, "username": USERNAME, "password": PASSWORD}
    )
    assert password.headers["location"].startswith("/jans-auth/factor.htm?ix=")
    factor = {**fields, "method": "webauthn"}
    user = await runtime.services.users.get_by_username(USERNAME)
    assert user is not None

    answer = json.dumps(lost.get(await _options(http, fields, "second-factor")))
    assert await runtime.services.passkeys.remove(user.user_id, lost.id)
    removed = await http.post("/jans-auth/factor.htm", data={**factor, "credential": answer})
    assert removed.status_code == 401 and "That passkey could not be verified" in removed.text

    stranger = SoftAuthenticator(origin=ISSUER, rp_id=RP_ID, user_handle=b"x" * 32)
    foreign = json.dumps(stranger.get(await _options(http, fields, "second-factor")))
    refused = await http.post("/jans-auth/factor.htm", data={**factor, "credential": foreign})
    assert refused.status_code == 401

    good = json.dumps(kept.get(await _options(http, fields, "second-factor")))
    done = await http.post("/jans-auth/factor.htm", data={**factor, "credential": good})
    assert done.status_code == 303, done.text
    result = await _finish(http, done)
    claims = _claims(
        (await _tokens(http, client["client_id"], result["code"], verifier))["id_token"]
    )
    assert claims["amr"] == ["pwd", "hwk", "user", "mfa"] and claims["acr"] == "phrh"

    replayed = await http.post("/jans-auth/factor.htm", data={**factor, "credential": good})
    assert replayed.status_code in (400, 401)  # the interaction is over, the challenge used
    reasons = " ".join(await _events(runtime, EventKind.PASSKEY_FAILED))
    assert "unknown_credential" in reasons
    failed = await _events(runtime, EventKind.FACTOR_FAILED)
    assert len(failed) == 2
