"""Control characters (C0 and DEL) in request parameters, parsed headers and JSON bodies are
refused where they enter: ``400 invalid_request`` (``invalid_client_metadata`` for a
registration body), an error page on the browser endpoints, never a 5xx and never a storage
lookup (PostgreSQL refuses NUL in text, so a NUL that reached it answered 500 before)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from authgate.admin import paths
from authgate.admin.scopes import ADMIN_SCOPES
from authgate.core import endpoints
from authgate.runtime import Runtime
from authgate.storage.models import CLIENTS
from tests.admin.support import client_credentials_token
from tests.lifecycle import INTROSPECTION, REGISTER, REVOKE, TOKEN, USERINFO, basic, bearer
from tests.support import (
    REDIRECT_URI,
    Browser,
    FakeClock,
    Flow,
    authorize_params,
    flow_registration_body,
    hidden_form,
    new_verifier,
    s256,
)
from tests.web.test_private_key_jwt import assertion, auth, ec_key

NUL = "\x00"
#: NUL, the other C0 controls at both ends and in the middle (TAB, LF, CR), and DEL.
CONTROLS = ["\x00", "\x01", "\t", "\n", "\r", "\x1f", "\x7f"]


def _dirty(char: str = NUL) -> str:
    return f"abc{char}def"


def assert_json_error(response: httpx.Response, error: str = "invalid_request") -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error, body
    assert "control character" in body["error_description"], body


def assert_error_page(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "invalid_request" in response.text
    assert "control character" in response.text


@dataclass
class Ctx:
    http: httpx.AsyncClient
    flow: Flow
    runtime: Runtime

    async def public_client(self) -> dict[str, Any]:
        return await self.flow.register()

    async def confidential_client(self) -> dict[str, Any]:
        return await self.flow.register(token_endpoint_auth_method="client_secret_basic")

    async def admin_token(self) -> str:
        first = self.runtime.first_start
        assert first.admin_client_id and first.admin_client_secret
        return await client_credentials_token(
            self.http, first.admin_client_id, first.admin_client_secret, ADMIN_SCOPES
        )

    async def login_form(self) -> tuple[str, dict[str, str]]:
        """The login page's form of a fresh authorization request (action, hidden fields)."""
        client = await self.public_client()
        params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
        response = await self.http.get(f"{endpoints.AUTHORIZE}?{urlencode(params)}")
        assert response.status_code == 302
        page = await self.http.get(response.headers["location"])
        assert page.status_code == 200
        return hidden_form(page.text)


@pytest.fixture
def ctx(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> Ctx:
    return Ctx(http, flow, runtime)


Case = Callable[[Ctx], Awaitable[httpx.Response]]


async def _authorize_get(c: Ctx) -> httpx.Response:
    client = await c.public_client()
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    params["state"] = _dirty()
    return await c.http.get(f"{endpoints.AUTHORIZE}?{urlencode(params)}")


async def _authorize_get_client_id(c: Ctx) -> httpx.Response:
    params = authorize_params(_dirty(), s256(new_verifier()), "S256")
    return await c.http.get(f"{endpoints.AUTHORIZE}?{urlencode(params)}")


async def _authorize_post(c: Ctx) -> httpx.Response:
    params = authorize_params(_dirty(), s256(new_verifier()), "S256")
    return await c.http.post(endpoints.AUTHORIZE, data=params)


async def _end_session_get(c: Ctx) -> httpx.Response:
    return await c.http.get(f"{endpoints.END_SESSION}?{urlencode({'client_id': _dirty()})}")


async def _end_session_post(c: Ctx) -> httpx.Response:
    return await c.http.post(endpoints.END_SESSION, data={"client_id": _dirty()})


async def _login_page(c: Ctx) -> httpx.Response:
    return await c.http.get(f"{endpoints.LOGIN_PAGE}?{urlencode({'ix': _dirty()})}")


async def _login_post(c: Ctx) -> httpx.Response:
    action, fields = await c.login_form()
    fields |= {"username": _dirty(), "password": "whatever-it-is"}
    return await c.http.post(action, data=fields)


async def _consent_post(c: Ctx) -> httpx.Response:
    _action, fields = await c.login_form()
    return await c.http.post(
        endpoints.CONSENT_PAGE, data={**fields, "ix": _dirty(), "decision": "allow"}
    )


async def _session_cookie(c: Ctx) -> httpx.Response:
    """A quoted cookie value decodes its octal escapes: ``"\\000"`` is a NUL."""
    client = await c.public_client()
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256")
    return await c.http.get(
        f"{endpoints.AUTHORIZE}?{urlencode(params)}",
        headers={"Cookie": 'session_id="abc\\000def"'},
    )


PAGE_CASES: dict[str, Case] = {
    "authorize GET state": _authorize_get,
    "authorize GET client_id": _authorize_get_client_id,
    "authorize POST": _authorize_post,
    "end_session GET": _end_session_get,
    "end_session POST": _end_session_post,
    "login page": _login_page,
    "login form": _login_post,
    "consent form": _consent_post,
    "session cookie": _session_cookie,
}


@pytest.mark.parametrize("case", PAGE_CASES.values(), ids=list(PAGE_CASES))
async def test_browser_endpoints_show_an_error_page(ctx: Ctx, case: Case) -> None:
    assert_error_page(await case(ctx))


async def _token(c: Ctx) -> httpx.Response:
    return await c.http.post(
        TOKEN, data={"grant_type": "authorization_code", "code": "x", "client_id": _dirty()}
    )


async def _token_basic(c: Ctx) -> httpx.Response:
    client = await c.confidential_client()
    return await c.http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": _dirty()},
        headers=basic(client["client_id"], client["client_secret"]),
    )


async def _config_api_token(c: Ctx) -> httpx.Response:
    """The Config API's own token request (client_credentials with the admin client)."""
    first = c.runtime.first_start
    assert first.admin_client_id and first.admin_client_secret
    return await c.http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": _dirty()},
        auth=(first.admin_client_id, first.admin_client_secret),
    )


async def _token_parameter_name(c: Ctx) -> httpx.Response:
    return await c.http.post(TOKEN, content=b"grant_type=x&cli%00ent_id=y", headers=_FORM)


async def _token_dpop_header(c: Ctx) -> httpx.Response:
    return await c.http.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers={"DPoP": _dirty()}
    )


async def _token_authorization_header(c: Ctx) -> httpx.Response:
    return await c.http.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic a\x00b"}
    )


async def _par(c: Ctx) -> httpx.Response:
    params = authorize_params(_dirty(), s256(new_verifier()), "S256")
    return await c.http.post(endpoints.PAR, data=params)


async def _introspection(c: Ctx) -> httpx.Response:
    client = await c.confidential_client()
    return await c.http.post(
        INTROSPECTION,
        data={"token": _dirty()},
        headers=basic(client["client_id"], client["client_secret"]),
    )


async def _revocation(c: Ctx) -> httpx.Response:
    client = await c.confidential_client()
    return await c.http.post(
        REVOKE,
        data={"token": _dirty()},
        headers=basic(client["client_id"], client["client_secret"]),
    )


async def _userinfo_header(c: Ctx) -> httpx.Response:
    return await c.http.get(USERINFO, headers=bearer(_dirty()))


async def _userinfo_form(c: Ctx) -> httpx.Response:
    return await c.http.post(USERINFO, data={"access_token": _dirty()})


async def _client_configuration_query(c: Ctx) -> httpx.Response:
    client = await c.public_client()
    return await c.http.get(
        f"{REGISTER}?{urlencode({'client_id': _dirty()})}",
        headers=bearer(client["registration_access_token"]),
    )


async def _client_configuration_token(c: Ctx) -> httpx.Response:
    client = await c.public_client()
    return await c.http.get(
        f"{REGISTER}?{urlencode({'client_id': client['client_id']})}", headers=bearer(_dirty())
    )


async def _config_api_path(c: Ctx) -> httpx.Response:
    token = await c.admin_token()
    return await c.http.get(f"{paths.CLIENTS}/abc%00def", headers=bearer(token))


async def _config_api_query(c: Ctx) -> httpx.Response:
    token = await c.admin_token()
    return await c.http.get(paths.CLIENTS, params={"pattern": _dirty()}, headers=bearer(token))


async def _config_api_sessions_query(c: Ctx) -> httpx.Response:
    token = await c.admin_token()
    return await c.http.get(paths.SESSIONS, params={"user_id": _dirty()}, headers=bearer(token))


async def _config_api_client_body(c: Ctx) -> httpx.Response:
    token = await c.admin_token()
    body = {"client_name": _dirty(), "redirect_uris": [REDIRECT_URI]}
    return await c.http.post(paths.CLIENTS, json=body, headers=bearer(token))


async def _config_api_scope_body(c: Ctx) -> httpx.Response:
    token = await c.admin_token()
    body = {"scope_id": "orders", "description": _dirty("\x7f")}
    return await c.http.post(paths.SCOPES, json=body, headers=bearer(token))


async def _config_api_user_body(c: Ctx) -> httpx.Response:
    token = await c.admin_token()
    body = {"username": _dirty(), "password": "long enough password"}
    return await c.http.post(paths.USERS, json=body, headers=bearer(token))


async def _config_api_patch(c: Ctx) -> httpx.Response:
    token = await c.admin_token()
    ops = [{"op": "replace", "path": "/clientWhiteList", "value": [_dirty()]}]
    return await c.http.patch(
        paths.CONFIG,
        content=orjson.dumps(ops),
        headers={**bearer(token), "Content-Type": paths.JSON_PATCH},
    )


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}

JSON_CASES: dict[str, Case] = {
    "token form": _token,
    "token form with Basic": _token_basic,
    "token parameter name": _token_parameter_name,
    "token DPoP header": _token_dpop_header,
    "token Authorization header": _token_authorization_header,
    "Config API token request": _config_api_token,
    "par": _par,
    "introspection": _introspection,
    "revocation": _revocation,
    "userinfo bearer header": _userinfo_header,
    "userinfo form": _userinfo_form,
    "client configuration client_id": _client_configuration_query,
    "client configuration token": _client_configuration_token,
    "Config API path": _config_api_path,
    "Config API query": _config_api_query,
    "Config API sessions query": _config_api_sessions_query,
    "Config API client body": _config_api_client_body,
    "Config API scope body": _config_api_scope_body,
    "Config API user body": _config_api_user_body,
    "Config API configuration patch": _config_api_patch,
}


@pytest.mark.parametrize("case", JSON_CASES.values(), ids=list(JSON_CASES))
async def test_json_endpoints_answer_invalid_request(ctx: Ctx, case: Case) -> None:
    assert_json_error(await case(ctx))


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
async def test_every_control_character_is_refused(http: httpx.AsyncClient, char: str) -> None:
    response = await http.post(
        TOKEN, data={"grant_type": "authorization_code", "code": "x", "client_id": _dirty(char)}
    )
    assert_json_error(response)


async def _count_clients(runtime: Runtime) -> int:
    row = await runtime.db.fetch_one(select(func.count().label("n")).select_from(CLIENTS), {})
    assert row is not None
    return int(row["n"])


@pytest.mark.parametrize(
    "member",
    [
        {"client_name": _dirty()},
        {"redirect_uris": [REDIRECT_URI + NUL]},
        {"scope": "openid\x00profile"},
        {"contacts": ["ops@example.com\n"]},
        {"jwks": {"keys": [{"kty": "EC", "kid": _dirty()}]}},
        {"software\x00id": "x"},
    ],
    ids=["client_name", "redirect_uris", "scope", "contacts", "jwks", "member name"],
)
async def test_registration_refuses_control_characters(
    http: httpx.AsyncClient, runtime: Runtime, member: dict[str, Any]
) -> None:
    before = await _count_clients(runtime)
    response = await http.post(REGISTER, json=flow_registration_body() | member)
    assert_json_error(response, "invalid_client_metadata")
    assert await _count_clients(runtime) == before


async def test_client_update_refuses_control_characters(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    client = await flow.register()
    uri = f"{REGISTER}?client_id={client['client_id']}"
    auth = bearer(client["registration_access_token"])
    body = flow_registration_body() | {"client_name": _dirty("\x7f")}
    response = await http.put(uri, json=body, headers=auth)
    assert_json_error(response, "invalid_client_metadata")
    current = await http.get(uri, headers=auth)
    assert current.status_code == 200
    assert current.json()["client_name"] == client["client_name"]


async def test_clean_requests_still_work(flow: Flow, browser: Browser) -> None:
    """Printable non-ASCII text is not a control character."""
    client = await flow.register(client_name="Bäckerei – Ωmega ✓")
    assert client["client_name"] == "Bäckerei – Ωmega ✓"
    issued = await flow.code(client["client_id"], state="état ☃")
    assert issued.params["state"] == "état ☃"
    assert (await flow.tokens(issued))["access_token"]


async def test_client_assertion_naming_a_client_with_a_control_character(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    """The client_id a private_key_jwt assertion claims is looked up before the signature is
    checked: a NUL in it is a failed authentication, not a database error."""
    signed = assertion(ec_key(), _dirty(), clock.now())
    response = await http.post(TOKEN, data={"grant_type": "client_credentials", **auth(signed)})
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
