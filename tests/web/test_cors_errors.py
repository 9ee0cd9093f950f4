"""CORS on every answer of a CORS endpoint, errors included (docs/security.md#cors).

A page must read why its request failed: a revoked, expired or unknown token's ``401`` with
its ``WWW-Authenticate`` challenge, an unknown client's ``invalid_client``, an invalid
request, a ``429``, a ``413``. An error answer is readable by the origins of the client the
request names and by any origin some client registered, whichever client the request named:
so an origin never learns from CORS headers whether a client exists."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.runtime import Runtime
from authgate.web.app import create_app
from tests.conftest import patch_config
from tests.lifecycle import INTROSPECTION, REGISTER, REVOKE, TOKEN, USERINFO, bearer, public_tokens
from tests.support import ISSUER, SQLITE_ONLY, FakeClock, Flow, token_form

RP = "http://127.0.0.1:8765"  # the origin of tests.support.REDIRECT_URI
OTHER_RP = "https://other-rp.example"  # registered by another client
EVIL = "https://evil.example"  # registered by no client
EXPOSED = {"www-authenticate", "dpop-nonce"}


def cors_of(response: httpx.Response) -> dict[str, str]:
    """The response's CORS headers and ``Vary`` (what a browser decides with)."""
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("access-control-") or name == "vary"
    }


def readable_by(response: httpx.Response, origin: str) -> bool:
    allowed = response.headers.get("access-control-allow-origin")
    if allowed is None:
        return False
    assert allowed == origin
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert exposed >= EXPOSED
    assert "access-control-allow-credentials" not in response.headers
    return True


async def _revoked_or_expired(
    case: str, flow: Flow, http: httpx.AsyncClient, clock: FakeClock
) -> str:
    client, tokens = await public_tokens(flow)
    access = str(tokens["access_token"])
    if case == "revoked":
        revoked = await http.post(
            REVOKE, data={"token": access, "client_id": client["client_id"]}, headers={"Origin": RP}
        )
        assert revoked.status_code == 200 and readable_by(revoked, RP)
    elif case == "expired":
        clock.advance(int(tokens["expires_in"]) + 1)
    else:
        access = "never-issued-" + access[:8]
    return access


@pytest.mark.parametrize("case", ["revoked", "expired", "unknown"])
async def test_userinfo_401_is_readable_with_its_challenge(
    case: str, flow: Flow, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    access = await _revoked_or_expired(case, flow, http, clock)
    response = await http.get(USERINFO, headers=bearer(access) | {"Origin": RP})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert readable_by(response, RP)
    assert "Origin" in response.headers["vary"]
    evil = await http.get(USERINFO, headers=bearer(access) | {"Origin": EVIL})
    assert evil.status_code == 401 and not readable_by(evil, EVIL)


async def _token_error(http: httpx.AsyncClient, origin: str, client_id: str) -> httpx.Response:
    form = token_form(client_id, "no-such-code", "v" * 43)
    return await http.post(TOKEN, data=form, headers={"Origin": origin})


@SQLITE_ONLY
async def test_an_unknown_client_looks_like_any_other_client(
    flow: Flow, http: httpx.AsyncClient
) -> None:
    mine = (await flow.register())["client_id"]
    other = (await flow.register(redirect_uris=[f"{OTHER_RP}/cb"]))["client_id"]
    unknown = "no-such-client"
    # the client's own origin and another client's origin read every error ...
    for origin in (RP, OTHER_RP):
        answers = [await _token_error(http, origin, c) for c in (mine, other, unknown)]
        assert [a.status_code for a in answers] == [400, 400, 401]
        assert all(readable_by(a, origin) for a in answers)
        assert len({tuple(sorted(cors_of(a).items())) for a in answers}) == 1
    # ... an origin no client registered reads none, and sees the same headers for all
    answers = [await _token_error(http, EVIL, c) for c in (mine, other, unknown)]
    assert not any(readable_by(a, EVIL) for a in answers)
    assert len({tuple(sorted(cors_of(a).items())) for a in answers}) == 1
    assert answers[2].json()["error"] == "invalid_client"


@SQLITE_ONLY
async def test_success_stays_with_the_clients_own_origins(
    flow: Flow, http: httpx.AsyncClient
) -> None:
    await flow.register(redirect_uris=[f"{OTHER_RP}/cb"])
    client = await flow.register()
    issued = await flow.code(client["client_id"])
    form = token_form(issued.client_id, issued.code, issued.verifier)
    response = await http.post(TOKEN, data=form, headers={"Origin": OTHER_RP})
    assert response.status_code == 200
    assert not readable_by(response, OTHER_RP)


async def _basic_client(flow: Flow) -> dict[str, Any]:
    return await flow.register(token_endpoint_auth_method="client_secret_basic")


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@SQLITE_ONLY
async def test_every_error_path_is_readable(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    client = await _basic_client(flow)
    cid = client["client_id"]
    origin = {"Origin": RP}
    answers = {
        "invalid request": await http.post(TOKEN, data={"client_id": cid}, headers=origin),
        "not a form": await http.post(TOKEN, content=b"{}", headers=origin),
        "wrong secret": await http.post(
            TOKEN, data={"grant_type": "client_credentials"}, headers=origin | _basic(cid, "x")
        ),
        "revoke, wrong secret": await http.post(
            REVOKE, data={"token": "t"}, headers=origin | _basic(cid, "x")
        ),
        "revoke, no client": await http.post(REVOKE, data={"token": "t"}, headers=origin),
        "introspect, public client": await http.post(
            INTROSPECTION, data={"token": "t", "client_id": "nobody"}, headers=origin
        ),
        "too large": await http.post(
            TOKEN, data={"client_id": cid, "x": "y" * 70_000}, headers=origin
        ),
        "userinfo without a token": await http.get(USERINFO, headers=origin),
        "request target too long": await http.post(TOKEN + "?" + "a" * 9000, headers=origin),
        "registration refused": await http.post(
            REGISTER, json={"redirect_uris": ["https://a.example/cb#x"]}, headers={"Origin": EVIL}
        ),
    }
    for name, response in answers.items():
        assert response.status_code >= 400, name
        wanted = EVIL if name.startswith("registration") else RP
        assert response.headers.get("access-control-allow-origin") == (
            "*" if wanted == EVIL else RP
        ), name
        exposed = response.headers["access-control-expose-headers"].lower()
        assert {h.strip() for h in exposed.split(",")} >= EXPOSED, name
    assert answers["too large"].status_code == 413
    assert answers["request target too long"].status_code == 414
    assert answers["wrong secret"].headers["www-authenticate"].startswith("Basic")
    # a rate-limited answer too
    await patch_config(runtime, rateLimitTokenRequestCount=1)
    statuses = []
    for _ in range(2):
        limited = await http.post(TOKEN, data={"client_id": cid}, headers=origin)
        statuses.append(limited.status_code)
        assert readable_by(limited, RP)
    assert statuses[-1] == 429


@SQLITE_ONLY
async def test_exposed_headers_are_always_exposed(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    """``corsExposedHeaders`` adds to WWW-Authenticate and DPoP-Nonce, never drops them."""
    await patch_config(
        runtime,
        corsConfigurationFilters=[{"corsEnabled": True, "corsExposedHeaders": "X-Extra"}],
    )
    response = await http.get("/.well-known/openid-configuration", headers={"Origin": EVIL})
    assert response.headers["access-control-expose-headers"] == (
        "WWW-Authenticate, DPoP-Nonce, X-Extra"
    )


@SQLITE_ONLY
async def test_narrowed_policy_keeps_errors_to_listed_origins(
    flow: Flow, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    """With ``corsAllowClientOrigins: false`` no client's origin counts, errors included."""
    only = {
        "corsEnabled": True,
        "corsAllowedOrigins": OTHER_RP,
        "corsAllowClientOrigins": False,
    }
    await patch_config(runtime, corsConfigurationFilters=[only])
    client = await flow.register()
    assert not readable_by(await _token_error(http, RP, client["client_id"]), RP)
    assert readable_by(await _token_error(http, OTHER_RP, "no-such-client"), OTHER_RP)


@SQLITE_ONLY
async def test_a_server_error_is_readable_too(flow: Flow, runtime: Runtime) -> None:
    """A fault in an endpoint (injected: a route that raises, put before the real token
    route) answers 500 through Starlette's server-error handling, inside the CORS layer."""

    async def fault(request: Request) -> Response:
        raise RuntimeError("injected fault")

    await flow.register()
    app = create_app(runtime.settings, runtime)
    app.router.routes.insert(0, Route(TOKEN, fault, methods=["POST"]))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        for origin, readable in ((RP, True), (EVIL, False)):
            response = await client.post(TOKEN, data={"client_id": "x"}, headers={"Origin": origin})
            assert response.status_code == 500
            assert readable_by(response, origin) is readable
