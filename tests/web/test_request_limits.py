"""Request size limits in the application (any ASGI server): request target 414, header
fields 431, parameters 400, bodies 413, each in the endpoint's format (an error page on the
browser endpoints, the OAuth error body elsewhere).

These are checks of the request alone, so they run on SQLite only. What only the server can
enforce (limits while a head arrives, timeouts, the connection cap) is in
tests/web/test_slow_clients.py, against a real ``authgate serve``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from authgate.core.params import MAX_PARAMETERS
from authgate.runtime import Runtime
from authgate.web.app import create_app
from authgate.web.context import MAX_BODY
from tests.admin.support import client_credentials_token
from tests.fuzz.driver import FuzzRequest, send
from tests.support import ISSUER

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

AUTHORIZE = "/jans-auth/restv1/authorize"
TOKEN = "/jans-auth/restv1/token"
JWKS = "/jans-auth/restv1/jwks"
REGISTER = "/jans-auth/restv1/register"
LOGIN = "/jans-auth/login.htm"
CONFIG = "/jans-config-api/api/v1/jans-auth-server/config"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _oauth_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "invalid_request"
    description: str = body["error_description"]
    return description


def _error_page(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    assert 'id="error-code">invalid_request<' in response.text


# --- request target -----------------------------------------------------------------------


async def test_request_target_at_the_limit_passes_and_over_it_is_414(
    http: httpx.AsyncClient,
) -> None:
    path_and_mark = len(JWKS) + len("?q=")
    at_limit = f"{JWKS}?q={'a' * (8192 - path_and_mark)}"
    assert (await http.get(at_limit)).status_code == 200
    description = _oauth_error(await http.get(at_limit + "a"), 414)
    assert description == "The request target exceeds 8192 bytes"


async def test_long_authorization_request_gets_an_error_page(http: httpx.AsyncClient) -> None:
    _error_page(await http.get(f"{AUTHORIZE}?state={'s' * 9000}"), 414)


async def test_limits_come_from_the_settings(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"max_url_bytes": 300, "max_headers": 20})
    transport = httpx.ASGITransport(app=create_app(settings, runtime))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        assert (await client.get(f"{JWKS}?q={'a' * 200}")).status_code == 200
        _oauth_error(await client.get(f"{JWKS}?q={'a' * 300}"), 414)
        headers = {f"x-h{i}": "1" for i in range(20)}
        _oauth_error(await client.get(JWKS, headers=headers), 431)


# --- header fields ------------------------------------------------------------------------


async def test_too_many_header_fields_are_431(http: httpx.AsyncClient) -> None:
    # httpx adds host, accept, accept-encoding, connection and user-agent (5 fields)
    assert (await http.get(JWKS, headers={f"x-h{i}": "1" for i in range(95)})).status_code == 200
    description = _oauth_error(
        await http.get(JWKS, headers={f"x-h{i}": "1" for i in range(96)}), 431
    )
    assert description == "The request has more than 100 header fields"


async def test_too_large_header_fields_are_431(http: httpx.AsyncClient) -> None:
    assert (await http.get(JWKS, headers={"x-big": "b" * 15_000})).status_code == 200
    description = _oauth_error(await http.get(JWKS, headers={"x-big": "b" * 16_384}), 431)
    assert description == "The request's header fields exceed 16384 bytes"
    many_cookies = "; ".join(f"c{i}={'v' * 100}" for i in range(200))
    _error_page(await http.get(AUTHORIZE, headers={"cookie": many_cookies}), 431)


# --- parameters ---------------------------------------------------------------------------


async def test_too_many_query_parameters_are_400(http: httpx.AsyncClient) -> None:
    at_limit = "&".join(f"p{i}=1" for i in range(MAX_PARAMETERS))
    assert (await http.get(f"{JWKS}?{at_limit}")).status_code == 200
    assert (await http.get(f"{JWKS}?{at_limit}&&&")).status_code == 200  # empty ones don't count
    description = _oauth_error(await http.get(f"{JWKS}?{at_limit}&one=more"), 400)
    assert description == f"The request has more than {MAX_PARAMETERS} parameters"
    _error_page(await http.get(f"{AUTHORIZE}?{at_limit}&one=more"), 400)


async def test_too_many_form_parameters_are_400(http: httpx.AsyncClient) -> None:
    form = {f"p{i}": "1" for i in range(MAX_PARAMETERS + 1)}
    description = _oauth_error(await http.post(TOKEN, data=form), 400)
    assert description == f"The request has more than {MAX_PARAMETERS} parameters"


async def test_repeated_form_parameter_is_400(http: httpx.AsyncClient) -> None:
    body = b"grant_type=authorization_code&code=a&code=b"
    description = _oauth_error(await http.post(TOKEN, content=body, headers=FORM), 400)
    assert description == "The parameter code is included more than once"


# --- bodies -------------------------------------------------------------------------------


async def _streamed(body: bytes) -> AsyncIterator[bytes]:
    """The body in 8 KiB chunks without a Content-Length (chunked transfer coding)."""
    for start in range(0, len(body), 8192):
        yield body[start : start + 8192]


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_form_body_over_64_kib_is_413(http: httpx.AsyncClient, declared: bool) -> None:
    at_limit = b"grant_type=password&x=" + b"a" * (MAX_BODY - 22)
    assert len(at_limit) == MAX_BODY
    response = await http.post(TOKEN, content=at_limit, headers=FORM)
    assert response.status_code == 401, response.text  # read whole; no client named
    over = at_limit + b"a"
    content = over if declared else _streamed(over)
    description = _oauth_error(await http.post(TOKEN, content=content, headers=FORM), 413)
    assert description == f"The request body exceeds {MAX_BODY} bytes"


async def test_login_form_over_64_kib_is_a_413_page(http: httpx.AsyncClient) -> None:
    response = await http.post(LOGIN, content=b"a=" + b"b" * MAX_BODY, headers=FORM)
    _error_page(response, 413)


async def test_registration_body_over_64_kib_is_413(http: httpx.AsyncClient) -> None:
    body = b'{"client_name":"' + b"n" * MAX_BODY + b'"}'
    for content in (body, _streamed(body)):
        response = await http.post(
            REGISTER, content=content, headers={"Content-Type": "application/json"}
        )
        _oauth_error(response, 413)


async def test_config_api_body_over_64_kib_is_413(
    http: httpx.AsyncClient, runtime: Runtime
) -> None:
    first = runtime.first_start
    assert first.admin_client_id and first.admin_client_secret
    token = await client_credentials_token(
        http,
        first.admin_client_id,
        first.admin_client_secret,
        ["https://jans.io/oauth/jans-auth-server/config/properties.write"],
    )
    patch = b'[{"op":"replace","path":"/x","value":"' + b"v" * MAX_BODY + b'"}]'
    response = await http.patch(
        CONFIG,
        content=_streamed(patch),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    _oauth_error(response, 413)


@pytest.mark.parametrize(
    ("path", "query"),
    [(JWKS, b"a=\xe8\x0e"), (TOKEN, b"\xff"), (AUTHORIZE, b"state=\xc3\xa9")],
)
async def test_raw_bytes_beyond_ascii_in_the_target_are_400(
    runtime: Runtime, path: str, query: bytes
) -> None:
    """A server that passes raw non-ASCII bytes in the query (uvicorn's parser refuses them,
    others may not): 400 in the endpoint's format, never a decoding error (was a 500)."""
    app = create_app(runtime.settings, runtime)
    response = await send(app, FuzzRequest("raw bytes", "GET", path.encode(), query))
    assert response.status == 400
    if path == AUTHORIZE:
        assert b'id="error-code">invalid_request<' in response.body
    else:
        assert orjson.loads(response.body)["error_description"] == (
            "The request target must be ASCII; escape other bytes (RFC 3986)"
        )
