"""The client configuration endpoint (RFC 7592): read, update, delete with the registration
access token; wrong tokens, expired clients, invalid updates; expired clients purged."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from authgate.runtime import Runtime
from authgate.storage.janitor import purge_expired
from authgate.storage.models import CLIENTS
from tests.conftest import patch_config
from tests.lifecycle import INTROSPECTION, REGISTER, basic, bearer, confidential_tokens
from tests.support import ISSUER, REDIRECT_URI, SQLITE_ONLY, FakeClock, Flow, token_form

#: Members that only exist in the response to a registration or a read.
READ_ONLY = {
    "registration_access_token",
    "registration_client_uri",
    "client_id_issued_at",
    "client_secret_expires_at",
    "client_secret",
}


def _uri(client: dict[str, Any]) -> str:
    """The registration_client_uri, as a path for the test client."""
    uri: str = client["registration_client_uri"]
    assert uri == f"{ISSUER}{REGISTER}?client_id={client['client_id']}"
    return uri.removeprefix(ISSUER)


def _auth(client: dict[str, Any]) -> dict[str, str]:
    return bearer(client["registration_access_token"])


async def _count_clients(runtime: Runtime) -> int:
    row = await runtime.db.fetch_one(select(func.count().label("n")).select_from(CLIENTS), {})
    assert row is not None
    return int(row["n"])


async def test_read(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    response = await http.get(_uri(client), headers=_auth(client))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    # the same document as at registration, minus the secret authgate cannot show again
    assert body == {k: v for k, v in client.items() if k != "client_secret"}


async def test_update_replaces_metadata_and_keeps_the_client_credentials(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    client = await flow.register(
        token_endpoint_auth_method="client_secret_basic", contacts=["ops@app.example"]
    )
    clock.advance(30)
    new_redirect = REDIRECT_URI.replace("home.htm", "callback")
    update = {
        "client_id": client["client_id"],
        "client_name": "Renamed",
        "redirect_uris": [REDIRECT_URI, new_redirect],
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid email",
    }
    response = await http.put(_uri(client), json=update, headers=_auth(client))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["client_name"] == "Renamed"
    assert body["redirect_uris"] == [REDIRECT_URI, new_redirect]
    assert body["scope"] == "email openid"
    assert "contacts" not in body  # omitted members are removed (RFC 7592 §2.2)
    for name in ("client_id", "client_id_issued_at", "client_secret_expires_at"):
        assert body[name] == client[name]
    assert body["registration_access_token"] != client["registration_access_token"]
    assert "client_secret" not in body
    # the read, with the new registration token, shows the same; the secret still works
    assert (await http.get(_uri(client), headers=_auth(body))).json() == body
    issued = await flow.code(client["client_id"], redirect_uri=new_redirect, scope="openid")
    form = token_form(client["client_id"], issued.code, issued.verifier, new_redirect)
    tokens = await flow.token(form, headers=basic(client["client_id"], client["client_secret"]))
    assert tokens.status_code == 200, tokens.text


async def test_a_read_can_be_sent_back_as_an_update(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_post")
    current = (await http.get(_uri(client), headers=_auth(client))).json()
    current["client_name"] = "Echoed"
    current["client_secret"] = client["client_secret"]  # allowed when it is the right one
    response = await http.put(_uri(client), json=current, headers=_auth(client))
    assert response.status_code == 200, response.text
    assert response.json()["client_name"] == "Echoed"
    rotated = ("client_name", "client_secret", "registration_access_token")
    assert {k: v for k, v in response.json().items() if k not in rotated} == {
        k: v for k, v in current.items() if k not in rotated
    }


async def test_every_update_rotates_the_registration_access_token(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    """RFC 7592 §2.2: a new token with every successful update; the old one dies at once."""
    # nine stale tokens are tried below: brute-force protection would rightly make the
    # current one wait (tests/web/test_brute_force_clients.py covers that)
    await patch_config(
        runtime, authenticationProtectionConfiguration={"bruteForceProtectionEnabled": False}
    )
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    update = {k: v for k, v in client.items() if k not in READ_ONLY}
    seen = [client["registration_access_token"]]
    current = client
    for name in ("First", "Second"):
        response = await http.put(
            _uri(client), json=update | {"client_name": name}, headers=_auth(current)
        )
        assert response.status_code == 200, response.text
        current = response.json()
        assert current["registration_access_token"] not in seen
        seen.append(current["registration_access_token"])
        # every earlier token is dead for every method
        for old in seen[:-1]:
            for method in ("GET", "PUT", "DELETE"):
                stale = await http.request(method, _uri(client), headers=bearer(old), json=update)
                assert stale.status_code == 401, (method, stale.text)
                assert stale.json()["error"] == "invalid_token"
        read = await http.get(_uri(client), headers=_auth(current))
        assert read.status_code == 200
        assert read.json()["client_name"] == name
        assert read.json()["registration_access_token"] == current["registration_access_token"]
    # a read does not rotate it
    again = await http.get(_uri(client), headers=_auth(current))
    assert again.json()["registration_access_token"] == current["registration_access_token"]
    assert (await http.delete(_uri(client), headers=_auth(current))).status_code == 204


async def test_a_failed_update_keeps_the_token(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    bad = {"redirect_uris": ["http://app.example/cb"], "token_endpoint_auth_method": "none"}
    response = await http.put(_uri(client), json=bad, headers=_auth(client))
    assert response.status_code == 400
    assert (await http.get(_uri(client), headers=_auth(client))).status_code == 200


async def test_concurrent_updates_with_one_token_land_once(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    update = {k: v for k, v in client.items() if k not in READ_ONLY}
    responses = await asyncio.gather(
        *(
            http.put(_uri(client), json=update | {"client_name": f"n{i}"}, headers=_auth(client))
            for i in range(4)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401, 401, 401], [r.text for r in responses]
    winner = next(r.json() for r in responses if r.status_code == 200)
    read = await http.get(_uri(client), headers=_auth(winner))
    assert read.json()["client_name"] == winner["client_name"]


@pytest.mark.parametrize(
    ("change", "error", "needle"),
    [
        ({"redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri", "non-loopback"),
        ({"client_id": "another-id"}, "invalid_client_metadata", "client_id"),
        ({"client_secret": "not-the-secret"}, "invalid_client_metadata", "client_secret"),
        ({"token_endpoint_auth_method": "none"}, "invalid_client_metadata", "cannot change"),
        ({"subject_type": "anonymous"}, "invalid_client_metadata", "subject_type"),
        ({"require_pkce": "yes"}, "invalid_client_metadata", "require_pkce"),
    ],
)
async def test_invalid_updates_change_nothing(
    http: httpx.AsyncClient, flow: Flow, change: dict[str, Any], error: str, needle: str
) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    before = (await http.get(_uri(client), headers=_auth(client))).json()
    update = {k: v for k, v in before.items() if k not in READ_ONLY} | change
    response = await http.put(_uri(client), json=update, headers=_auth(client))
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert needle in response.json()["error_description"]
    assert (await http.get(_uri(client), headers=_auth(client))).json() == before


async def test_public_client_cannot_become_confidential(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    update = {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "client_secret_post"}
    response = await http.put(_uri(client), json=update, headers=_auth(client))
    assert response.status_code == 400
    assert "cannot change" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"{not json", "application/json"), (b"[1]", "application/json"), (b"a=b", "text/plain")],
)
async def test_malformed_update_bodies(
    http: httpx.AsyncClient, flow: Flow, content: bytes, content_type: str
) -> None:
    client = await flow.register()
    response = await http.put(
        _uri(client), content=content, headers=_auth(client) | {"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"


async def test_delete(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    client, tokens = await confidential_tokens(flow)
    before = await _count_clients(runtime)
    response = await http.delete(_uri(client), headers=_auth(client))
    assert response.status_code == 204
    assert response.content == b""
    assert await _count_clients(runtime) == before - 1
    # the registration token, the client's credentials and its tokens are all dead now
    gone = await http.get(_uri(client), headers=_auth(client))
    assert gone.status_code == 401
    assert gone.json()["error"] == "invalid_token"
    assert (await http.delete(_uri(client), headers=_auth(client))).status_code == 401
    refresh = await flow.token(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert refresh.status_code == 401
    info = await http.get("/jans-auth/restv1/userinfo", headers=bearer(tokens["access_token"]))
    assert info.status_code == 401


@SQLITE_ONLY
@pytest.mark.parametrize(
    "case", ["no token", "unknown token", "another client's token", "token as Basic"]
)
async def test_wrong_or_missing_token(http: httpx.AsyncClient, flow: Flow, case: str) -> None:
    client = await flow.register()
    other = await flow.register(client_name="other")
    headers = {
        "no token": {},
        "unknown token": bearer("not-the-token"),
        "another client's token": _auth(other),
        "token as Basic": {"Authorization": "Basic " + client["registration_access_token"]},
    }[case]
    for method in ("GET", "PUT", "DELETE"):
        response = await http.request(
            method, _uri(client), headers=headers, json={"redirect_uris": [REDIRECT_URI]}
        )
        assert response.status_code == 401, (method, response.text)
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    # nothing was changed or deleted
    assert (await http.get(_uri(client), headers=_auth(client))).status_code == 200


@SQLITE_ONLY
async def test_unknown_client_gets_the_same_answer(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    response = await http.get(f"{REGISTER}?client_id=nobody", headers=_auth(client))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


async def test_missing_client_id(http: httpx.AsyncClient, flow: Flow) -> None:
    client = await flow.register()
    response = await http.get(REGISTER, headers=_auth(client))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_expired_client(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock, runtime: Runtime
) -> None:
    client = await flow.register(token_endpoint_auth_method="client_secret_basic", lifetime=3600)
    assert client["client_secret_expires_at"] == client["client_id_issued_at"] + 3600
    issued = await flow.code(client["client_id"])
    clock.advance(3600)
    for method in ("GET", "PUT", "DELETE"):
        response = await http.request(
            method, _uri(client), headers=_auth(client), json={"redirect_uris": [REDIRECT_URI]}
        )
        assert response.status_code == 401, (method, response.text)
        assert response.json()["error"] == "invalid_token"
    # it stopped working everywhere else too
    form = token_form(client["client_id"], issued.code, issued.verifier)
    auth = basic(client["client_id"], client["client_secret"])
    assert (await flow.token(form, headers=auth)).status_code == 401
    assert (await http.post(INTROSPECTION, data={"token": "x"}, headers=auth)).status_code == 401
    authorize = await http.get(
        "/jans-auth/restv1/authorize",
        params={"client_id": client["client_id"], "response_type": "code"},
    )
    assert authorize.status_code == 400
    # and the janitor removes it
    before = await _count_clients(runtime)
    clock.advance(1)
    counts = await purge_expired(runtime.db, clock.now())
    assert counts["clients"] == 1
    assert await _count_clients(runtime) == before - 1


async def test_server_expiration_time_applies(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock, runtime: Runtime
) -> None:
    await patch_config(runtime, dynamicRegistrationExpirationTime=600)
    client = await flow.register()
    assert (await http.get(_uri(client), headers=_auth(client))).status_code == 200
    clock.advance(600)
    assert (await http.get(_uri(client), headers=_auth(client))).status_code == 401
    counts = await purge_expired(runtime.db, clock.now() + 1)
    assert counts["clients"] == 1
    # clients without expiry are never purged
    forever = await flow.register(lifetime=0)
    clock.advance(10 * 365 * 86400)
    await purge_expired(runtime.db, clock.now())
    assert (await http.get(_uri(forever), headers=_auth(forever))).status_code == 200


async def test_tokens_of_an_expired_client_stop_working(
    http: httpx.AsyncClient, flow: Flow, clock: FakeClock
) -> None:
    api = await flow.register(token_endpoint_auth_method="client_secret_basic", client_name="api")
    _app, tokens = await confidential_tokens(
        flow, lifetime=100, additional_audience=[api["client_id"]]
    )
    introspect = {"token": tokens["access_token"]}
    api_auth = basic(api["client_id"], api["client_secret"])
    assert (await http.post(INTROSPECTION, data=introspect, headers=api_auth)).json()["active"]
    clock.advance(100)  # the client expires; its access token (300 s) would still be valid
    info = await http.get("/jans-auth/restv1/userinfo", headers=bearer(tokens["access_token"]))
    assert info.status_code == 401
    assert (await http.post(INTROSPECTION, data=introspect, headers=api_auth)).json() == {
        "active": False
    }
