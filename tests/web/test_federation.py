"""Sign-in through an upstream OpenID Provider at the HTTP level, on SQLite and PostgreSQL:
the upstream is a real HTTP server on 127.0.0.1 (tests/federation_upstream.py) whose
id_tokens are real JWTs signed with a key the test holds. Every refusal ends on a page, never
a 5xx, and is recorded as a ``federation_failed`` security event."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from authgate.admin.context import Actor
from authgate.admin.federation_schemas import ProviderIn, ProviderUpdate
from authgate.admin.views import session_json
from authgate.assembly import admin_service
from authgate.core.federation.model import FederatedIdentity
from authgate.core.security_events import EventKind
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests import request_objects
from tests.federation_upstream import Upstream
from tests.mfa_support import code, enrol_totp
from tests.receiver import Reply
from tests.support import (
    ISSUER,
    PASSWORD,
    USERNAME,
    FakeClock,
    Flow,
    IssuedCode,
    authorize_params,
    hidden_form,
    loopback_settings,
    new_verifier,
    query_of,
    s256,
)

CALLBACK = "/jans-auth/federation/corp/callback"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return loopback_settings(database_url, sealing_key="s" * 43)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with Upstream() as up:
        yield up


async def add_provider(runtime: Runtime, up: Upstream, **members: Any) -> None:
    body = {
        "alias": "corp",
        "issuer": up.issuer,
        "client_id": "downstream",
        "client_secret": "upstream-client-secret-1",
        "display_name": "Corp SSO",
        **members,
    }
    await admin_service(runtime).federation.create(ProviderIn(**body), Actor("test"))


class Upstreamed:
    """The browser's way to the upstream: the authorization request (its state, nonce and
    PKCE challenge) authgate sent there."""

    def __init__(self, location: str, issued: IssuedCode, ix: str = "") -> None:
        self.location = location
        self.query = query_of(location)
        self.issued = issued
        #: The downstream interaction (authorization request) it belongs to.
        self.ix = ix

    @property
    def state(self) -> str:
        return self.query["state"]

    @property
    def nonce(self) -> str:
        return self.query["nonce"]


async def go_upstream(http: httpx.AsyncClient, client_id: str, **extra: str) -> Upstreamed:
    verifier = new_verifier(64)
    params = authorize_params(client_id, s256(verifier), "S256", **extra)
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    assert response.status_code == 302
    ix = query_of(response.headers["location"])["ix"]
    login = await http.get(response.headers["location"])
    if login.status_code == 200:
        assert 'id="idp-corp"' in login.text
        href = login.text.split('id="idp-corp" href="', 1)[1].split('"', 1)[0]
        login = await http.get(href.replace("&amp;", "&"))
    assert login.status_code == 303, login.text
    if login.headers["location"].startswith("/jans-auth/federation/"):  # routed by a hint
        login = await http.get(login.headers["location"])
        assert login.status_code == 303, login.text
    return Upstreamed(login.headers["location"], IssuedCode("", verifier, params, client_id), ix)


async def back(http: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await http.get(f"{CALLBACK}?{urlencode(params)}")


async def finish(http: httpx.AsyncClient, response: httpx.Response) -> dict[str, str]:
    """Follow the downstream's pages (consent) to the client's redirect URI; its query."""
    for _ in range(4):
        assert response.status_code in (302, 303), response.text
        location = response.headers["location"]
        if location.startswith("http://127.0.0.1:8765"):
            return query_of(location)
        page = await http.get(location)
        assert "<form" in page.text, (location, page.status_code, page.text[:1500])
        action, fields = hidden_form(page.text)
        response = await http.post(action, data={**fields, "decision": "allow"})
    raise AssertionError("no redirect to the client")


def claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def failure(runtime: Runtime, response: httpx.Response, code: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert f'data-code="{code}"' in response.text
    await runtime.services.events.flush()
    events = await runtime.services.events.list(kind=EventKind.FEDERATION_FAILED)
    assert any(e.detail == f"corp: {code}" for e in events), [(e.kind, e.detail) for e in events]


async def test_a_new_upstream_user_signs_in_and_the_id_token_says_fed(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    assert up.location.startswith(f"{upstream.issuer}/authorize?")
    assert up.query["code_challenge_method"] == "S256"
    assert up.query["redirect_uri"] == ISSUER + CALLBACK
    upstream.token_reply(
        upstream.id_token(
            now=clock.now(),
            nonce=up.nonce,
            sub="u-77",
            email="bob@corp.example",
            email_verified=True,
            preferred_username="bob",
        )
    )
    result = await finish(http, await back(http, code="upstream-code", state=up.state))
    tokens = await flow.tokens(
        IssuedCode(result["code"], up.issued.verifier, up.issued.params, client["client_id"])
    )
    claims = claims_of(tokens["id_token"])
    assert claims["amr"] == ["fed"] and claims["idp"] == "corp"
    user = await runtime.services.users.get_by_username("bob")
    assert user is not None and claims["sub"]
    token_request = next(r for r in upstream.requests if r.path == "/token")
    form = dict(x.split("=", 1) for x in token_request.body.decode().split("&"))
    assert (
        form["code"] == "upstream-code"
        and s256(form["code_verifier"]) == up.query["code_challenge"]
    )
    assert token_request.headers["authorization"].startswith("Basic ")
    assert runtime.services.federation is not None
    link = await runtime.services.federation.store.identity("corp", "u-77")
    assert link is not None and link.user_id == user.user_id
    listed = await admin_service(runtime).sessions.list(user_id=user.user_id)
    assert [(s["amr"], s["idp"]) for s in map(session_json, listed)] == [(["fed"], "corp")]


async def test_a_form_post_provider_answers_with_a_post_that_is_bounced_once_for_the_cookie(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    """response_mode=form_post (Apple): the answer comes as a POST. Posted cross-site it
    arrives without the SameSite=Lax cookie, and is posted again from this origin once."""
    await add_provider(runtime, upstream, response_mode="form_post")
    client = await flow.register()

    def answered(up: Upstreamed, sub: str) -> dict[str, str]:
        upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce, sub=sub))
        return {"code": "upstream-code", "state": up.state, "user": '{"name": {}}'}

    # with the cookie (a same-site deployment): signed in at once
    up = await go_upstream(http, client["client_id"])
    assert up.query["response_mode"] == "form_post"
    assert "code" in await finish(http, await http.post(CALLBACK, data=answered(up, "p-1")))
    # without it (the browser's cross-site post): a page that posts the fields from here
    http.cookies.clear()  # signed out: the next authorization request goes upstream again
    up = await go_upstream(http, client["client_id"])
    cookie = http.cookies.get("authgate_ix")
    assert cookie is not None
    fields = answered(up, "p-2")
    http.cookies.delete("authgate_ix")
    redeemed = sum(r.path == "/token" for r in upstream.requests)
    bounced = await http.post(CALLBACK, data=fields)
    assert bounced.status_code == 200, bounced.text
    assert "script-src 'sha256-" in bounced.headers["content-security-policy"]
    action, again = hidden_form(bounced.text)
    assert action == ISSUER + CALLBACK
    assert again == fields | {"authgate_bounced": "1"}
    assert sum(r.path == "/token" for r in upstream.requests) == redeemed  # nothing read yet
    http.cookies.set("authgate_ix", cookie)
    assert "code" in await finish(http, await http.post(action, data=again))
    # posted back without the cookie even so: refused, not bounced again
    http.cookies.clear()
    up = await go_upstream(http, client["client_id"])
    http.cookies.delete("authgate_ix")
    refused = await http.post(CALLBACK, data=answered(up, "p-3") | {"authgate_bounced": "1"})
    await failure(runtime, refused, "state_invalid")
    # no bounce for a path that names no possible provider
    stray = await http.post("/jans-auth/federation/No.Such/callback", data={"state": "x"})
    assert stray.status_code == 400 and "authgate-form-post" not in stray.text
    # a body that is not a form is the provider's error, never a 5xx
    odd = await http.post(CALLBACK, content=b"{}", headers={"content-type": "application/json"})
    assert odd.status_code == 400 and 'data-code="upstream_error"' in odd.text


async def test_the_names_apple_posts_beside_the_code_name_the_new_user(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    """Sign in with Apple posts a ``user`` field with the names on an app's first sign-in
    only, and its id_token has none: the new account takes them; its email comes from the
    id_token, never from the unsigned field, and a later sign-in changes nothing."""
    await add_provider(runtime, upstream, response_mode="form_post")
    client = await flow.register()
    posted: dict[str, object] = {
        "name": {"firstName": "Jane", "lastName": "Appleseed"},
        "email": "x@evil.example",
    }

    async def sign_in(user_field: dict[str, object]) -> None:
        http.cookies.clear()
        up = await go_upstream(http, client["client_id"])
        upstream.token_reply(
            upstream.id_token(
                now=clock.now(),
                nonce=up.nonce,
                sub="001234.apple",
                email="jane@privaterelay.example",
                email_verified=True,
            )
        )
        fields = {"code": "upstream-code", "state": up.state, "user": json.dumps(user_field)}
        assert "code" in await finish(http, await http.post(CALLBACK, data=fields))

    await sign_in(posted)
    user = await runtime.services.users.get_by_username("jane@privaterelay.example")
    assert user is not None
    assert (user.name, user.given_name, user.family_name) == ("Jane Appleseed", "Jane", "Appleseed")
    assert user.email == "jane@privaterelay.example"
    await sign_in({"name": {"firstName": "Someone", "lastName": "Else"}})
    again = await runtime.services.users.get(user.user_id)
    assert again is not None and again.name == "Jane Appleseed"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"aud": "someone-else"}, "bad_id_token"),
        ({"iss": "https://evil.example"}, "bad_id_token"),
        ({"exp_shift": -3600}, "expired_id_token"),
        ({"nonce": "not-the-nonce"}, "nonce_mismatch"),
        ({"other_key": True}, "bad_id_token"),
        ({"tamper": True}, "bad_id_token"),
    ],
)
async def test_a_bad_id_token_is_refused(
    http: httpx.AsyncClient,
    flow: Flow,
    runtime: Runtime,
    upstream: Upstream,
    clock: FakeClock,
    change: dict[str, Any],
    code: str,
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    change = dict(change)  # the parameter is shared by both backends' runs
    claims: dict[str, Any] = {"nonce": up.nonce}
    shift = change.pop("exp_shift", 0)
    key = ECKey.generate_key("P-256", {"kid": "up-1"}) if change.pop("other_key", 0) else None
    tamper = change.pop("tamper", False)
    claims.update(change)
    now = clock.now() + shift
    token = upstream.id_token(now=now, key=key, **claims)
    if tamper:  # a payload the signature was not made over
        head, _, sig = token.split(".")
        other = upstream.id_token(now=clock.now(), nonce=up.nonce, sub="admin").split(".")[1]
        token = f"{head}.{other}.{sig}"
    upstream.token_reply(token)
    await failure(runtime, await back(http, code="c", state=up.state), code)
    assert await runtime.services.users.get_by_username("up-1") is None


async def test_a_replayed_state_is_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce))
    first = await back(http, code="c", state=up.state)
    assert first.status_code == 303
    await failure(runtime, await back(http, code="c", state=up.state), "state_invalid")
    await failure(runtime, await back(http, code="c", state="made-up"), "state_invalid")
    await failure(runtime, await back(http, code="c"), "state_invalid")


async def test_a_state_from_another_browser_is_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    http.cookies.clear()
    await failure(runtime, await back(http, code="c", state=up.state), "state_invalid")


async def test_the_user_cancelling_upstream_ends_on_a_page(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    response = await back(http, error="access_denied", state=up.state)
    await failure(runtime, response, "cancelled")
    assert "was cancelled" in response.text
    retry = response.text.split('id="retry" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    again = await http.get(retry)  # back to the login page, to choose another way
    assert again.status_code == 200 and 'id="idp-corp"' in again.text


async def test_an_iss_that_is_not_the_upstream_is_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce))
    response = await back(http, code="c", state=up.state, iss="https://mix-up.example")
    await failure(runtime, response, "issuer_mismatch")
    assert not any(r.path == "/token" for r in upstream.requests)


async def test_iss_is_required_when_the_upstream_says_it_sends_it(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    upstream.replies["/.well-known/openid-configuration"] = Reply.json(
        upstream.discovery(authorization_response_iss_parameter_supported=True)
    )
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    await failure(runtime, await back(http, code="c", state=up.state), "issuer_mismatch")


async def test_an_upstream_that_is_down_ends_on_a_page(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    await upstream.stop()  # the discovery document is cached: the token request fails
    response = await back(http, code="c", state=up.state)
    await failure(runtime, response, "upstream_unreachable", status=502)


async def test_an_upstream_down_from_the_start_ends_on_a_page(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    await add_provider(runtime, upstream)
    await upstream.stop()
    client = await flow.register()
    verifier = new_verifier(64)
    params = authorize_params(client["client_id"], s256(verifier), "S256", kc_idp_hint="corp")
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    start = await http.get(response.headers["location"])
    assert start.status_code == 303
    page = await http.get(start.headers["location"])
    assert page.status_code == 502 and 'data-code="upstream_unreachable"' in page.text


async def test_jit_off_gives_a_clear_page(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream, provision=False)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce, sub="nobody"))
    response = await back(http, code="c", state=up.state)
    await failure(runtime, response, "no_account")
    assert "not created automatically" in response.text


async def test_an_unverified_email_does_not_link_without_the_password(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream, trust_email=True)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(
        upstream.id_token(
            now=clock.now(),
            nonce=up.nonce,
            sub="a-1",
            email="alice@example.com",
            email_verified=False,
        )
    )
    response = await back(http, code="c", state=up.state)
    assert response.status_code == 303 and "login.htm" in response.headers["location"]
    fed = runtime.services.federation
    assert fed is not None and await fed.store.identity("corp", "a-1") is None
    page = await http.get(response.headers["location"])
    assert 'id="link-notice"' in page.text
    # the user tries the provider again in the same request: still only the password links
    href = page.text.split('id="idp-corp" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    again = await http.get(href)
    up = Upstreamed(again.headers["location"], up.issued)
    upstream.token_reply(
        upstream.id_token(
            now=clock.now(),
            nonce=up.nonce,
            sub="a-1",
            email="alice@example.com",
            email_verified=False,
        )
    )
    response = await back(http, code="c", state=up.state)
    assert response.status_code == 303 and "login.htm" in response.headers["location"]
    page = await http.get(response.headers["location"])
    assert 'id="link-notice"' in page.text
    action, fields = hidden_form(page.text)
    wrong = await http.post(action, data={**fields, "username": USERNAME, "password": "nope"})
    assert wrong.status_code == 401
    assert await fed.store.identity("corp", "a-1") is None
    signed = await http.post(action, data={**fields, "username": USERNAME, "password": PASSWORD})
    await finish(http, signed)
    alice = await runtime.services.users.get_by_username(USERNAME)
    link = await fed.store.identity("corp", "a-1")
    assert alice is not None and link is not None and link.user_id == alice.user_id


async def test_a_verified_email_links_only_when_the_provider_is_trusted(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream, trust_email=False)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(
        upstream.id_token(
            now=clock.now(),
            nonce=up.nonce,
            sub="a-1",
            email="alice@example.com",
            email_verified=True,
        )
    )
    response = await back(http, code="c", state=up.state)
    assert "login.htm" in response.headers["location"]  # untrusted: the password is asked
    fed = runtime.services.federation
    assert fed is not None and await fed.store.identity("corp", "a-1") is None
    await admin_service(runtime).federation.update(
        "corp", ProviderUpdate(trust_email=True), Actor("test")
    )
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(
        upstream.id_token(
            now=clock.now(),
            nonce=up.nonce,
            sub="a-1",
            email="alice@example.com",
            email_verified=True,
        )
    )
    await finish(http, await back(http, code="c", state=up.state))
    alice = await runtime.services.users.get_by_username(USERNAME)
    link = await fed.store.identity("corp", "a-1")
    assert alice is not None and link is not None and link.user_id == alice.user_id


async def test_kc_idp_hint_and_login_hint_domain_skip_the_choice(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    await add_provider(runtime, upstream, domains=["corp.example"])
    client = await flow.register()
    up = await go_upstream(http, client["client_id"], login_hint="bob@corp.example")
    cancelled = await back(http, error="access_denied", state=up.state)
    retry = cancelled.text.split('id="retry" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    again = await http.get(retry)  # the choice, not the provider again
    assert again.status_code == 200 and 'id="idp-corp"' in again.text
    for extra in ({"kc_idp_hint": "corp"}, {"login_hint": "bob@Corp.Example"}):
        params = authorize_params(client["client_id"], s256(new_verifier(64)), "S256", **extra)
        response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
        login = await http.get(response.headers["location"])
        assert login.status_code == 303
        assert "/jans-auth/federation/corp/login?" in login.headers["location"]
    params = authorize_params(client["client_id"], s256(new_verifier(64)), "S256",
                              kc_idp_hint="unknown")  # fmt: skip
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    login = await http.get(response.headers["location"])
    assert login.status_code == 200 and 'id="idp-corp"' in login.text


async def test_kc_idp_hint_in_a_pushed_request_or_a_request_object(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    """The hint counts wherever the request's parameters come from (RFC 9126, RFC 9101)."""
    await add_provider(runtime, upstream)
    key = request_objects.rsa_key()
    client = await flow.register(jwks=request_objects.jwks(key))
    cid = client["client_id"]

    def hinted(hint: str) -> dict[str, str]:
        return authorize_params(cid, s256(new_verifier(64)), "S256", kc_idp_hint=hint)

    async def login_of(params: dict[str, str]) -> httpx.Response:
        response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
        assert response.status_code == 302, response.text
        assert "kc_idp_hint" not in params  # it came inside the request
        return await http.get(response.headers["location"])

    for hint, routed in (("corp", True), ("unknown", False)):
        pushed = await http.post("/jans-auth/restv1/par", data=hinted(hint))
        assert pushed.status_code == 201, pushed.text
        by_par = await login_of({"client_id": cid, "request_uri": pushed.json()["request_uri"]})
        claims = request_objects.request_claims(cid, clock.now(), hinted(hint))
        signed = request_objects.sign(claims, key)
        by_object = await login_of({"client_id": cid, "response_type": "code", "request": signed})
        for login in (by_par, by_object):
            if routed:
                assert login.status_code == 303, login.text
                assert "/jans-auth/federation/corp/login?" in login.headers["location"]
            else:  # not a provider: the choice, as for the query parameter
                assert login.status_code == 200 and 'id="idp-corp"' in login.text


async def test_a_disabled_provider_has_no_button(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    await add_provider(runtime, upstream, enabled=False)
    client = await flow.register()
    params = authorize_params(client["client_id"], s256(new_verifier(64)), "S256")
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    login = await http.get(response.headers["location"])
    assert login.status_code == 200 and "idp-corp" not in login.text
    ix = query_of(response.headers["location"])["ix"]
    start = await http.get(f"/jans-auth/federation/corp/login?ix={ix}")
    assert start.status_code == 400 and 'data-code="unknown_provider"' in start.text


async def test_private_key_jwt_signs_the_token_request_with_authgates_key(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream, client_auth="private_key_jwt", client_secret=None)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce))
    assert (await back(http, code="c", state=up.state)).status_code == 303
    token_request = next(r for r in upstream.requests if r.path == "/token")
    assert "authorization" not in token_request.headers
    form = dict(parse_qsl(token_request.body.decode()))
    assert form["client_assertion_type"].endswith("jwt-bearer") and "client_secret" not in form
    jwks = (await http.get("/jans-auth/restv1/jwks")).json()
    assertion = jwt.decode(form["client_assertion"], KeySet.import_key_set(jwks))
    claims = assertion.claims
    assert claims["iss"] == claims["sub"] == "downstream"
    assert claims["aud"] == f"{upstream.issuer}/token"


async def test_userinfo_must_be_about_the_id_tokens_subject(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    await add_provider(runtime, upstream, use_userinfo=True)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce, sub="s-1"))
    upstream.replies["/userinfo"] = Reply.json({"sub": "someone-else", "email": "x@corp.example"})
    await failure(runtime, await back(http, code="c", state=up.state), "bad_id_token")
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce, sub="s-1"))
    upstream.replies["/userinfo"] = Reply.json(
        {"sub": "s-1", "preferred_username": "from-userinfo", "name": "Info Name"}
    )
    await finish(http, await back(http, code="c", state=up.state))
    user = await runtime.services.users.get_by_username("from-userinfo")
    assert user is not None and user.name == "Info Name"
    userinfo = next(r for r in upstream.requests if r.path == "/userinfo")
    assert userinfo.headers["authorization"] == "Bearer up-access"


async def test_icons_are_data_uris_or_allowed_https_origins(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    await add_provider(runtime, upstream, icon="https://cdn.corp.example/logo.png")
    await add_provider(
        runtime, upstream, alias="other", display_name="Other", icon="data:image/png;base64,AAAA"
    )
    client = await flow.register()
    params = authorize_params(client["client_id"], s256(new_verifier(64)), "S256")
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    login = await http.get(response.headers["location"])
    csp = login.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.corp.example;" in csp
    assert "script-src 'self'" in csp  # the passkey script still runs
    assert 'src="https://cdn.corp.example/logo.png"' in login.text
    assert 'src="data:image/png;base64,AAAA"' in login.text


async def test_a_user_with_a_second_factor_passes_it_after_the_upstream(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    """Federated sign-in goes through the second-factor step as a password sign-in does; the
    session's amr then says fed, the factor, and mfa; idp names the provider."""
    await add_provider(runtime, upstream, trust_email=True)
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None
    seed = await enrol_totp(runtime.services, alice)
    fed = runtime.services.federation
    assert fed is not None
    assert await fed.store.link(FederatedIdentity("corp", "alice-up", alice.user_id, clock.now()))
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce, sub="alice-up"))
    response = await back(http, code="c", state=up.state)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/jans-auth/factor.htm?")
    assert "session_id" not in response.headers.get("set-cookie", "")  # no session yet
    page = await http.get(response.headers["location"])
    action, fields = hidden_form(page.text)
    answered = await http.post(action, data=fields | {"code": code(seed, clock.now())})
    result = await finish(http, answered)
    tokens = await flow.tokens(
        IssuedCode(result["code"], up.issued.verifier, up.issued.params, client["client_id"])
    )
    claims = claims_of(tokens["id_token"])
    assert claims["amr"] == ["fed", "otp", "mfa"] and claims["idp"] == "corp"
    assert claims["acr"] == "mfa" and claims["sub"]


async def test_a_password_after_an_abandoned_upstream_sign_in_says_pwd(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream, clock: FakeClock
) -> None:
    """The upstream sign-in reached the factor page; the user went back and used the
    password instead: the session says pwd, not fed."""
    await add_provider(runtime, upstream)
    alice = await runtime.services.users.get_by_username(USERNAME)
    assert alice is not None
    seed = await enrol_totp(runtime.services, alice)
    fed = runtime.services.federation
    assert fed is not None
    assert await fed.store.link(FederatedIdentity("corp", "alice-up", alice.user_id, clock.now()))
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce, sub="alice-up"))
    assert (await back(http, code="c", state=up.state)).status_code == 303
    login = await http.get(f"/jans-auth/login.htm?ix={up.ix}&choose=1")
    action, fields = hidden_form(login.text)
    signed = await http.post(action, data=fields | {"username": USERNAME, "password": PASSWORD})
    assert signed.headers["location"].startswith("/jans-auth/factor.htm?")
    page = await http.get(signed.headers["location"])
    action, fields = hidden_form(page.text)
    answered = await http.post(action, data=fields | {"code": code(seed, clock.now() + 30)})
    result = await finish(http, answered)
    tokens = await flow.tokens(
        IssuedCode(result["code"], up.issued.verifier, up.issued.params, client["client_id"])
    )
    claims = claims_of(tokens["id_token"])
    assert claims["amr"] == ["pwd", "otp", "mfa"] and "idp" not in claims


@pytest.mark.parametrize(
    ("path", "reply", "code", "status"),
    [
        ("/token", Reply(500, b"oops", "text/plain"), "token_failed", 502),
        ("/token", Reply(200, b"not json", "text/plain"), "token_failed", 502),
        ("/token", Reply.json({"access_token": "a", "token_type": "Bearer"}), "bad_id_token", 400),
        ("/token", Reply.json({"error": "invalid_grant"}, status=400), "token_failed", 502),
        ("/jwks", Reply(200, b"<html>", "text/html"), "upstream_misconfigured", 400),
        ("/jwks", Reply.json({"keys": [{"kty": "nope"}]}), "upstream_misconfigured", 400),
    ],
)
async def test_bad_upstream_answers_end_on_a_page(
    http: httpx.AsyncClient,
    flow: Flow,
    runtime: Runtime,
    upstream: Upstream,
    clock: FakeClock,
    path: str,
    reply: Reply,
    code: str,
    status: int,
) -> None:
    await add_provider(runtime, upstream)
    client = await flow.register()
    up = await go_upstream(http, client["client_id"])
    upstream.token_reply(upstream.id_token(now=clock.now(), nonce=up.nonce))
    upstream.replies[path] = reply
    await failure(runtime, await back(http, code="c", state=up.state), code, status=status)


async def test_a_discovery_document_of_another_issuer_is_refused(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime, upstream: Upstream
) -> None:
    upstream.replies["/.well-known/openid-configuration"] = Reply.json(
        upstream.discovery(issuer="https://someone-else.example")
    )
    await add_provider(runtime, upstream)
    client = await flow.register()
    params = authorize_params(client["client_id"], s256(new_verifier(64)), "S256")
    response = await http.get("/jans-auth/restv1/authorize?" + urlencode(params))
    ix = query_of(response.headers["location"])["ix"]
    start = await http.get(f"/jans-auth/federation/corp/login?ix={ix}")
    assert start.status_code == 400 and 'data-code="upstream_misconfigured"' in start.text


@pytest.mark.parametrize(
    "query",
    ["state=" + "x" * 4000 + "&code=c", "code=c&state=%00", "state=&code=", "error=x"],
)
async def test_odd_callbacks_end_on_a_page(
    http: httpx.AsyncClient, runtime: Runtime, upstream: Upstream, query: str
) -> None:
    await add_provider(runtime, upstream)
    response = await http.get(f"{CALLBACK}?{query}")
    assert 400 <= response.status_code < 500, response.text  # a control character: the
    # app-wide invalid_request answer; anything else: the federation error page
