"""The OpenAPI 3.1 document of the Config API and the registration endpoint.

Schemas are generated from the same pydantic models that parse requests and shape responses,
and ``tests/admin/test_openapi.py`` checks that every operation here is a route of the app and
every Config API route is here, and that real responses validate against these schemas.
:mod:`authgate.web.config_api.routes` serves it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.openapi_table import MODELS, OPERATIONS, Operation
from authgate.admin.schemas import ErrorOut
from authgate.core import endpoints

_QUERY = {
    "pattern": ("string", "Case-insensitive substring to search for"),
    "limit": ("integer", "Maximum number of results (1-500, default 50)"),
    "startIndex": ("integer", "1-based index of the first result"),
    "user_id": ("string", "Only this user's sessions (or links)"),
    "alias": ("string", "Only links to this identity provider"),
    "target_type": ("string", "Only entries about this kind of target"),
    "kind": ("string", "Only events of this kind (e.g. rate_limited, login_failed)"),
    "client_id": ("string", "The client's client_id (the registered client, RFC 7592 §2)"),
    "family": ("string", "Only counters of this kind: login, client or registration"),
    "username": ("string", "The login counters of this username"),
    "source": ("string", "The counters of this source address"),
}
_ERRORS = {
    "400": "Invalid request, naming the offending property",
    "401": "Missing, invalid or expired bearer token (RFC 6750)",
    "403": "The token lacks the required scope (RFC 6750)",
    "404": "No such object",
    "409": "Conflict with the current state",
    "415": "Wrong Content-Type",
    "429": "Too many requests from this address; retry after the Retry-After seconds",
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
        {"name": n, "in": "query", "required": op.auth == "registration",
         "schema": {"type": _QUERY[n][0]}, "description": _QUERY[n][1]}
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
        if op.auth != "oauth2" and code in ("403", "404", "409", "415"):
            continue
        if op.auth == "none" and code == "401":
            continue
        if op.auth == "initial" and code == "401":
            text = "No usable initial access token while the policy requires one (RFC 6750)"
        responses[code] = {"description": text, "content": _json(_ref(ErrorOut))}
    out["responses"] = responses
    security = {
        "oauth2": [{"oauth2": [op.scope]}],
        "registration": [{"registrationToken": []}],
        "initial": [{}, {"initialAccessToken": []}],
    }
    out["security"] = security.get(op.auth, [])
    return out


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def document(issuer: str) -> dict[str, Any]:
    """The OpenAPI document for a server at ``issuer``."""
    _, defs = models_json_schema(
        [(m, "serialization" if m.__name__.endswith(("Out", "Response")) else "validation")
         for m in MODELS],
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
                },
                "registrationToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The registration_access_token (RFC 7592 §3).",
                },
                "initialAccessToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An initial access token issued by an administrator "
                    "(RFC 7591 §3), needed while dynamicRegistrationPolicy is "
                    "initial_access_token.",
                },
            },
        },
    }
