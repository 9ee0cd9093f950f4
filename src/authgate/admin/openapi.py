"""The OpenAPI 3.1 document of the Config API and the registration endpoint.

Schemas are generated from the same pydantic models that parse requests and shape responses,
and ``tests/admin/test_openapi.py`` checks that every operation here is a route of the app and
every Config API route is here, and that real responses validate against these schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.schemas import (
    AuditOut,
    ClientIn,
    ClientOut,
    ErrorOut,
    KeyOut,
    PasswordIn,
    RotationOut,
    ScopeIn,
    ScopeOut,
    ScopeUpdate,
    SessionOut,
    UserIn,
    UserOut,
    UserUpdate,
)
from authgate.appconfig import AppConfiguration
from authgate.core import endpoints
from authgate.core.registration_request import RegistrationRequest
from authgate.web.context import services
from authgate.web.responses import json_response

Body = type[BaseModel] | Literal["patch"] | None


class RegistrationResponse(BaseModel):
    """The registration response (RFC 7591 §3.2.1) in the flow document's shape."""

    model_config = ConfigDict(extra="allow")

    client_id: str
    client_id_issued_at: int
    client_secret: str | None = None
    client_secret_expires_at: int | None = None
    registration_access_token: str
    registration_client_uri: str
    token_endpoint_auth_method: str
    scope: str
    grant_types: list[str]
    response_types: list[str]
    redirect_uris: list[str]
    client_name: str
    application_type: str
    subject_type: str


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    scope: str | None
    body: Body = None
    response: type[BaseModel] | None = None
    many: bool = False
    status: int = 200
    query: tuple[str, ...] = ()


_CLIENT = f"{paths.CLIENTS}/{{client_id}}"
_SCOPE = f"{paths.SCOPES}/{{scope_id}}"
_USER = f"{paths.USERS}/{{user_id}}"
_PAGED = ("pattern", "limit", "startIndex")

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get",
        paths.CONFIG,
        "Get the auth server configuration",
        s.PROPERTIES_READ,
        response=AppConfiguration,
    ),
    Operation(
        "patch",
        paths.CONFIG,
        "Change the configuration with a JSON Patch (RFC 6902)",
        s.PROPERTIES_WRITE,
        "patch",
        AppConfiguration,
    ),
    Operation(
        "get",
        paths.CLIENTS,
        "List or search clients",
        s.CLIENTS_READ,
        None,
        ClientOut,
        True,
        query=_PAGED,
    ),
    Operation(
        "post", paths.CLIENTS, "Create a client", s.CLIENTS_WRITE, ClientIn, ClientOut, status=201
    ),
    Operation("get", _CLIENT, "Get a client", s.CLIENTS_READ, None, ClientOut),
    Operation("put", _CLIENT, "Replace a client", s.CLIENTS_WRITE, ClientIn, ClientOut),
    Operation(
        "delete", _CLIENT, "Delete a client and revoke its tokens", s.CLIENTS_DELETE, status=204
    ),
    Operation(
        "get", paths.SCOPES, "List scopes", s.SCOPES_READ, None, ScopeOut, True, query=_PAGED
    ),
    Operation(
        "post", paths.SCOPES, "Create a scope", s.SCOPES_WRITE, ScopeIn, ScopeOut, status=201
    ),
    Operation("get", _SCOPE, "Get a scope", s.SCOPES_READ, None, ScopeOut),
    Operation("put", _SCOPE, "Change a scope", s.SCOPES_WRITE, ScopeUpdate, ScopeOut),
    Operation("delete", _SCOPE, "Delete a scope", s.SCOPES_DELETE, status=204),
    Operation(
        "get", paths.USERS, "List or search users", s.USERS_READ, None, UserOut, True, query=_PAGED
    ),
    Operation("post", paths.USERS, "Create a user", s.USERS_WRITE, UserIn, UserOut, status=201),
    Operation("get", _USER, "Get a user by id or username", s.USERS_READ, None, UserOut),
    Operation("patch", _USER, "Change or disable a user", s.USERS_WRITE, UserUpdate, UserOut),
    Operation(
        "post", f"{_USER}/password", "Set a user's password", s.USERS_WRITE, PasswordIn, UserOut
    ),
    Operation("get", paths.KEYS, "List signing keys", s.KEYS_READ, None, KeyOut, True),
    Operation(
        "post",
        paths.KEYS_ROTATE,
        "Rotate the signing key (with overlap)",
        s.KEYS_WRITE,
        None,
        RotationOut,
        status=201,
    ),
    Operation(
        "get",
        paths.SESSIONS,
        "List live login sessions",
        s.SESSIONS_READ,
        None,
        SessionOut,
        True,
        query=("user_id", "limit", "startIndex"),
    ),
    Operation(
        "delete",
        f"{paths.SESSIONS}/{{sid}}",
        "Revoke a session and its tokens",
        s.SESSIONS_DELETE,
        status=204,
    ),
    Operation(
        "get",
        paths.AUDIT,
        "List audit log entries, newest first",
        s.AUDIT_READ,
        None,
        AuditOut,
        True,
        query=("target_type", "limit", "startIndex"),
    ),
    Operation(
        "post",
        endpoints.REGISTER,
        "Register a client (RFC 7591)",
        None,
        RegistrationRequest,
        RegistrationResponse,
        status=201,
    ),
)

_MODELS: tuple[type[BaseModel], ...] = (
    AppConfiguration, ClientIn, ClientOut, ScopeIn, ScopeUpdate, ScopeOut, UserIn, UserUpdate,
    UserOut, PasswordIn, KeyOut, RotationOut, SessionOut, AuditOut, ErrorOut,
    RegistrationRequest, RegistrationResponse,
)  # fmt: skip

_QUERY = {
    "pattern": ("string", "Case-insensitive substring to search for"),
    "limit": ("integer", "Maximum number of results (1-500, default 50)"),
    "startIndex": ("integer", "1-based index of the first result"),
    "user_id": ("string", "Only this user's sessions"),
    "target_type": ("string", "Only entries about this kind of target"),
}
_ERRORS = {
    "400": "Invalid request, naming the offending property",
    "401": "Missing, invalid or expired bearer token (RFC 6750)",
    "403": "The token lacks the required scope (RFC 6750)",
    "404": "No such object",
    "409": "Conflict with the current state",
    "415": "Wrong Content-Type",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "operationId": f"{op.method}-{op.path}"}
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in _path_names(op.path)
    ] + [
        {"name": n, "in": "query", "required": False, "schema": {"type": _QUERY[n][0]},
         "description": _QUERY[n][1]}
        for n in op.query
    ]  # fmt: skip
    if params:
        out["parameters"] = params
    if op.body == "patch":
        patch_schema = {"type": "array", "items": {"type": "object", "required": ["op", "path"]}}
        out["requestBody"] = {
            "required": True,
            "content": {paths.JSON_PATCH: {"schema": patch_schema}},
        }
    elif op.body is not None:
        out["requestBody"] = {"required": True, "content": _json(_ref(op.body))}
    responses: dict[str, Any] = {}
    if op.response is None:
        responses[str(op.status)] = {"description": "Done"}
    else:
        schema = {"type": "array", "items": _ref(op.response)} if op.many else _ref(op.response)
        responses[str(op.status)] = {"description": "Success", "content": _json(schema)}
    for code, text in _ERRORS.items():
        if op.scope is None and code in ("401", "403", "404"):
            continue
        responses[code] = {"description": text, "content": _json(_ref(ErrorOut))}
    out["responses"] = responses
    out["security"] = [{"oauth2": [op.scope]}] if op.scope else []
    return out


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def document(issuer: str) -> dict[str, Any]:
    """The OpenAPI document for a server at ``issuer``."""
    _, defs = models_json_schema(
        [(m, "serialization" if m.__name__.endswith(("Out", "Response")) else "validation")
         for m in _MODELS],
        ref_template="#/components/schemas/{model}",
    )  # fmt: skip
    path_items: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path_items.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "authgate Config API",
            "version": "1",
            "description": "Administration of the authgate auth server (Janssen-compatible "
            "paths and scopes) and its dynamic client registration endpoint.",
        },
        "servers": [{"url": issuer}],
        "paths": path_items,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": issuer + endpoints.TOKEN,
                            "scopes": dict(s.DESCRIPTIONS),
                        }
                    },
                }
            },
        },
    }


async def openapi(request: Request) -> Response:
    """GET the OpenAPI document (public, like discovery)."""
    return json_response(document(services(request).issuer), cache=True)
