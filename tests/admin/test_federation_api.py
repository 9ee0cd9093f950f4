"""Upstream identity providers and federated identities through the Config API: the secret is
write-only (never in a response, the audit log or the log) and stored sealed; presets fill the
endpoints; bad input is a 400 naming the member; the scopes guard every route; links are
listed and removed. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from authgate.admin import paths
from authgate.admin.scopes import FEDERATION_READ, USERS_READ
from authgate.core.federation.model import FederatedIdentity
from authgate.runtime import Runtime
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api
from tests.support import ISSUER, USERNAME

SECRET = "upstream-secret-value-123"


async def test_add_show_update_and_remove_a_provider(
    api: Api, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await api.post(
        paths.PROVIDERS,
        {"alias": "corp", "issuer": "https://idp.corp.example", "client_id": "authgate",
         "client_secret": SECRET, "display_name": "Corp SSO", "domains": ["Corp.Example"]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["client_secret_set"] is True and "client_secret" not in body
    assert body["redirect_uri"] == f"{ISSUER}/jans-auth/federation/corp/callback"
    assert body["domains"] == ["corp.example"] and body["provision"] is True
    fed = runtime.services.federation
    assert fed is not None
    stored = await fed.store.provider("corp")
    assert stored is not None and stored.client_secret_sealed
    assert SECRET not in stored.client_secret_sealed

    changed = await api.patch_json(
        f"{paths.PROVIDERS}/corp", {"enabled": False, "client_secret": "rotated-secret-456"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False
    listed = await api.get(paths.PROVIDERS)
    assert [p["alias"] for p in listed.json()] == ["corp"]

    audit = await api.get(paths.AUDIT, target_type="federation_provider")
    assert len(audit.json()) == 2
    everything = orjson.dumps([listed.json(), audit.json()]).decode() + caplog.text
    for secret in (SECRET, "rotated-secret-456", stored.client_secret_sealed):
        assert secret not in everything

    assert (await api.delete(f"{paths.PROVIDERS}/corp")).status_code == 204
    assert (await api.get(f"{paths.PROVIDERS}/corp")).status_code == 404
    assert (await api.delete(f"{paths.PROVIDERS}/corp")).status_code == 404


async def test_a_preset_fills_the_provider(api: Api) -> None:
    created = await api.post(
        paths.PROVIDERS,
        {"alias": "github", "preset": "github", "client_id": "Iv1.x", "client_secret": SECRET},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "oauth2" and body["client_auth"] == "client_secret_post"
    assert body["token_endpoint"] == "https://github.com/login/oauth/access_token"
    assert body["mapping"]["sub"] == "id" and body["display_name"] == "GitHub"
    assert body["response_mode"] == "query"


async def test_apple_answers_with_form_post_and_the_mode_can_be_changed(api: Api) -> None:
    created = await api.post(
        paths.PROVIDERS,
        {"alias": "apple", "preset": "apple", "client_id": "com.example", "client_secret": SECRET},
    )
    assert created.status_code == 201, created.text
    assert created.json()["response_mode"] == "form_post"
    assert created.json()["scopes"] == ["openid", "email", "name"]
    path = f"{paths.PROVIDERS}/apple"
    changed = await api.patch_json(path, {"response_mode": "query"})
    assert changed.status_code == 200, changed.text
    assert (await api.get(path)).json()["response_mode"] == "query"


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({"alias": "Bad Alias", "issuer": "https://x.example", "client_id": "c",
          "client_secret": "s"}, "alias"),
        ({"alias": "x", "issuer": "ftp://x.example", "client_id": "c", "client_secret": "s"},
         "issuer"),
        ({"alias": "x", "issuer": "https://x.example", "client_id": "c", "client_secret": "s",
          "icon": "javascript:alert(1)"}, "icon"),
        ({"alias": "x", "issuer": "https://x.example", "client_id": "c", "client_secret": "s",
          "mapping": {"subject": "id"}}, "mapping"),
        ({"alias": "x", "issuer": "https://x.example", "client_id": "c"}, "client_secret"),
        ({"alias": "x", "client_id": "c", "client_secret": "s"}, "issuer"),
        ({"alias": "x", "kind": "oauth2", "client_id": "c", "client_secret": "s",
          "token_endpoint": "https://x.example/t"}, "userinfo_endpoint"),
        ({"alias": "x", "preset": "facebook", "client_id": "c"}, "preset"),
        ({"alias": "x", "issuer": "https://x.example", "client_id": "c", "client_secret": "s",
          "response_mode": "fragment"}, "response_mode"),
        ({"alias": "x", "issuer": "https://x.example", "client_id": "c", "client_secret": "s",
          "extra": 1}, "extra"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_400_naming_the_member(
    api: Api, runtime: Runtime, body: dict[str, object], member: str
) -> None:
    response = await api.post(paths.PROVIDERS, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert member in response.json()["error_description"]
    fed = runtime.services.federation
    assert fed is not None and await fed.store.providers() == []


async def test_a_taken_alias_is_a_conflict(api: Api) -> None:
    body = {"alias": "corp", "issuer": "https://x.example", "client_id": "c", "client_secret": "s"}
    assert (await api.post(paths.PROVIDERS, body)).status_code == 201
    again = await api.post(paths.PROVIDERS, body)
    assert again.status_code == 409 and "corp" in again.json()["error_description"]


async def test_the_scopes_guard_the_routes(
    http: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    reader = Api(http, await token_for(FEDERATION_READ))
    assert (await reader.get(paths.PROVIDERS)).status_code == 200
    body = {"alias": "corp", "issuer": "https://x.example", "client_id": "c", "client_secret": "s"}
    refused = await reader.post(paths.PROVIDERS, body)
    assert refused.status_code == 403
    other = Api(http, await token_for(USERS_READ))
    assert (await other.get(paths.IDENTITIES)).status_code == 403
    assert (await http.get(paths.PROVIDERS)).status_code == 401


async def test_links_are_listed_and_removed(api: Api, runtime: Runtime) -> None:
    body = {"alias": "corp", "issuer": "https://x.example", "client_id": "c", "client_secret": "s"}
    assert (await api.post(paths.PROVIDERS, body)).status_code == 201
    alice = await runtime.services.users.get_by_username(USERNAME)
    fed = runtime.services.federation
    assert alice is not None and fed is not None
    now = runtime.services.clock.now()
    assert await fed.store.link(FederatedIdentity("corp", "up|1", alice.user_id, now))
    listed = await api.get(paths.IDENTITIES, user_id=alice.user_id)
    assert [(i["alias"], i["subject"]) for i in listed.json()] == [("corp", "up|1")]
    assert (await api.delete(f"{paths.IDENTITIES}/corp/up%7C1")).status_code == 204
    assert (await api.get(paths.IDENTITIES)).json() == []
    assert (await api.delete(f"{paths.IDENTITIES}/corp/up%7C1")).status_code == 404
