"""Security events through the Config API (GET .../security-events): newest first, by kind,
paged, behind their own read scope, in the OpenAPI document's shape."""

from __future__ import annotations

import httpx
from jsonschema import Draft202012Validator

from authgate.admin import paths
from authgate.admin.scopes import AUDIT_READ, EVENTS_READ
from authgate.core.security_events import EventKind
from authgate.core.types import SecurityEvent
from authgate.runtime import Runtime
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api
from tests.conftest import patch_config
from tests.support import flow_registration_body

NOW = 1_800_000_000.0


def _record(runtime: Runtime) -> None:
    events = runtime.services.events
    events.record(SecurityEvent(NOW, EventKind.LOGIN_FAILED, "192.0.2.1", None, "u-1", "password"))
    events.record(SecurityEvent(NOW + 1, EventKind.CODE_REPLAYED, "192.0.2.2", "app-1", "u-1"))
    events.record(SecurityEvent(NOW + 2, EventKind.LOGIN_FAILED, "192.0.2.3"))


async def test_events_are_listed_newest_first_by_kind_and_paged(api: Api, runtime: Runtime) -> None:
    _record(runtime)
    listed = (await api.get(paths.EVENTS)).json()
    assert listed == [
        {"at": NOW + 2, "kind": "login_failed", "source": "192.0.2.3", "client_id": None,
         "user_id": None, "detail": ""},
        {"at": NOW + 1, "kind": "code_replayed", "source": "192.0.2.2", "client_id": "app-1",
         "user_id": "u-1", "detail": ""},
        {"at": NOW, "kind": "login_failed", "source": "192.0.2.1", "client_id": None,
         "user_id": "u-1", "detail": "password"},
    ]  # fmt: skip
    failed = (await api.get(paths.EVENTS, kind="login_failed")).json()
    assert [e["source"] for e in failed] == ["192.0.2.3", "192.0.2.1"]
    second = (await api.get(paths.EVENTS, kind="login_failed", limit=1, startIndex=2)).json()
    assert second == [listed[2]]
    assert (await api.get(paths.EVENTS, kind="rate_limited")).json() == []


async def test_bad_queries_are_400_naming_the_parameter(api: Api) -> None:
    unknown = await api.get(paths.EVENTS, kind="nope")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_request"
    assert unknown.json()["error_description"].startswith("kind: unknown event kind")
    assert "rate_limited" in unknown.json()["error_description"]
    assert (await api.get(paths.EVENTS, limit=0)).status_code == 400
    assert (await api.get(paths.EVENTS, startIndex="x")).status_code == 400


async def test_events_need_their_read_scope(
    http: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    assert (await http.get(paths.EVENTS)).status_code == 401
    audit_only = Api(http, await token_for(AUDIT_READ))
    refused = await audit_only.get(paths.EVENTS)
    assert refused.status_code == 403
    assert f'scope="{EVENTS_READ}"' in refused.headers["www-authenticate"]
    reader = Api(http, await token_for(EVENTS_READ))
    assert (await reader.get(paths.EVENTS)).status_code == 200


async def test_a_rate_limited_window_shows_up_once(
    api: Api, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    await patch_config(runtime, rateLimitRegistrationRequestCount=1)
    statuses = [
        (await http.post("/jans-auth/restv1/register", json=flow_registration_body())).status_code
        for _ in range(4)
    ]
    assert statuses == [201, 429, 429, 429]
    await runtime.rate_limits.sync()
    limited = (await api.get(paths.EVENTS, kind="rate_limited")).json()
    assert [(e["source"], e["detail"]) for e in limited] == [
        ("127.0.0.1", "too many registration requests")
    ]


async def test_the_response_matches_the_openapi_schema(
    api: Api, http: httpx.AsyncClient, runtime: Runtime
) -> None:
    _record(runtime)
    document = (await http.get(paths.OPENAPI)).json()
    operation = document["paths"][paths.EVENTS]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["kind", "limit", "startIndex"]
    assert operation["security"] == [{"oauth2": [EVENTS_READ]}]
    assert (
        EVENTS_READ
        in document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"][
            "scopes"
        ]
    )
    for status, response in (
        ("200", await api.get(paths.EVENTS)),
        ("400", await api.get(paths.EVENTS, kind="nope")),
    ):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": document["components"]})
        validator.validate(response.json())
