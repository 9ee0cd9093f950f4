"""The OpenAPI document is valid and true: its operations are the app's routes, and real
responses validate against its schemas."""

from __future__ import annotations

import re
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from starlette.routing import Route

from authgate.admin import paths
from authgate.core import endpoints
from authgate.runtime import Runtime
from authgate.web.app import create_app
from tests.admin.support import Api
from tests.support import ISSUER, SQLITE_ONLY, flow_registration_body


async def _document(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get(paths.OPENAPI)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@SQLITE_ONLY  # the document is built from code, not from storage
async def test_document_is_valid_openapi(http: httpx.AsyncClient) -> None:
    document = await _document(http)
    validate(document)
    assert document["servers"] == [{"url": ISSUER}]
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == ISSUER + endpoints.TOKEN


@SQLITE_ONLY
async def test_operations_are_exactly_the_routes(http: httpx.AsyncClient, runtime: Runtime) -> None:
    document = await _document(http)
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    app = create_app(runtime.settings, runtime)
    served = set()
    for route in app.routes:
        assert isinstance(route, Route)
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if (path.startswith(paths.PREFIX) and path != paths.OPENAPI) or path == endpoints.REGISTER:
            served |= {(m, path) for m in route.methods or () if m != "HEAD"}
    assert documented == served


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document["components"]})


def _response_schema(document: dict[str, Any], method: str, path: str, status: int) -> Any:
    content = document["paths"][path][method]["responses"][str(status)]["content"]
    return content["application/json"]["schema"]


async def test_real_responses_match_the_schemas(api: Api, http: httpx.AsyncClient) -> None:
    document = await _document(http)
    client = {"client_name": "svc", "grant_types": ["client_credentials"], "response_types": []}
    user = {"username": "erin", "password": "a long password"}
    await api.post(paths.SCOPES, {"scope_id": "orders"})
    calls = [
        ("get", paths.CONFIG, paths.CONFIG, 200, await api.get(paths.CONFIG)),
        ("post", paths.CLIENTS, paths.CLIENTS, 201, await api.post(paths.CLIENTS, client)),
        ("get", paths.CLIENTS, paths.CLIENTS, 200, await api.get(paths.CLIENTS)),
        ("get", paths.SCOPES, paths.SCOPES, 200, await api.get(paths.SCOPES)),
        ("post", paths.USERS, paths.USERS, 201, await api.post(paths.USERS, user)),
        ("get", paths.USERS, paths.USERS, 200, await api.get(paths.USERS)),
        ("post", paths.KEYS_ROTATE, paths.KEYS_ROTATE, 201, await api.post(paths.KEYS_ROTATE)),
        ("get", paths.KEYS, paths.KEYS, 200, await api.get(paths.KEYS)),
        ("get", paths.SESSIONS, paths.SESSIONS, 200, await api.get(paths.SESSIONS)),
        ("get", paths.AUDIT, paths.AUDIT, 200, await api.get(paths.AUDIT)),
        ("post", endpoints.REGISTER, endpoints.REGISTER, 201,
         await http.post(endpoints.REGISTER, json=flow_registration_body())),
    ]  # fmt: skip
    registered = calls[-1][-1].json()
    read = await http.get(
        endpoints.REGISTER,
        params={"client_id": registered["client_id"]},
        headers={"Authorization": f"Bearer {registered['registration_access_token']}"},
    )
    calls.append(("get", endpoints.REGISTER, endpoints.REGISTER, 200, read))
    for method, path, _, status, response in calls:
        assert response.status_code == status, (path, response.text)
        schema = _response_schema(document, method, path, status)
        _validator(document, schema).validate(response.json())
    error = await api.patch_config([{"op": "replace", "path": "/x", "value": 1}])
    error_schema = _response_schema(document, "patch", paths.CONFIG, 400)
    _validator(document, error_schema).validate(error.json())
