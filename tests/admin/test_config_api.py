"""GET and PATCH /jans-config-api/api/v1/jans-auth-server/config
(docs/janssen-compatibility.md §9.1)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from authgate.admin import paths
from authgate.admin.scopes import CLIENTS_READ, PROPERTIES_READ
from authgate.appconfig import SECRET_PROPERTIES, AppConfiguration
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api
from tests.support import (
    Browser,
    authorize_params,
    flow_registration_body,
    new_verifier,
    s256,
    token_form,
)


async def test_get_returns_every_property_but_the_secrets(api: Api, runtime: Runtime) -> None:
    document = await api.config()
    assert {"pairwiseCalculationKey", "pairwiseCalculationSalt"} == SECRET_PROPERTIES
    assert set(document) == set(AppConfiguration.model_fields) - SECRET_PROPERTIES
    stored = runtime.services.config.current.to_document()
    assert document == {k: v for k, v in stored.items() if k not in SECRET_PROPERTIES}
    assert document["clientAuthenticationFiltersEnabled"] is False


def _secrets(runtime: Runtime) -> tuple[str, str]:
    config = runtime.services.config.current
    return config.pairwiseCalculationKey, config.pairwiseCalculationSalt


async def test_secrets_are_never_returned_and_kept_by_other_patches(
    api: Api, runtime: Runtime
) -> None:
    key, salt = _secrets(runtime)
    listed = await api.get(paths.CONFIG)
    patched = await api.patch_config([{"op": "replace", "path": "/requirePkce", "value": True}])
    unchanged = await api.patch_config([{"op": "replace", "path": "/requirePkce", "value": True}])
    for response in (listed, patched, unchanged):
        assert response.status_code == 200, response.text
        assert key not in response.text and salt not in response.text
        assert not SECRET_PROPERTIES & set(response.json())
    assert runtime.services.config.current.requirePkce is True
    assert _secrets(runtime) == (key, salt)
    loaded = await runtime.config_store.load()
    assert loaded is not None
    assert (loaded[1]["pairwiseCalculationKey"], loaded[1]["pairwiseCalculationSalt"]) == (
        key,
        salt,
    )


@pytest.mark.parametrize("op", ["add", "replace"])
async def test_secrets_are_writable(api: Api, runtime: Runtime, op: str) -> None:
    new_key = "k" * 40
    response = await api.patch_config(
        [{"op": op, "path": "pairwiseCalculationKey", "value": new_key}]
    )
    assert response.status_code == 200, response.text
    assert new_key not in response.text
    assert "pairwiseCalculationKey" not in response.json()
    assert runtime.services.config.current.pairwiseCalculationKey == new_key
    audit = (await api.get(paths.AUDIT, target_type="config")).text
    assert new_key not in audit and "pairwiseCalculationKey" in audit


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "test", "path": "/pairwiseCalculationKey", "value": "guess-guess-guess-guess"},
        {"op": "copy", "from": "/pairwiseCalculationKey", "path": "/jansOpenIdConnectVersion"},
        {"op": "move", "from": "/pairwiseCalculationSalt", "path": "/jansOpenIdConnectVersion"},
        {"op": "replace", "path": "/pairwiseCalculationKey/0", "value": "x"},
        {"op": "remove", "path": "/pairwiseCalculationSalt"},
    ],
)
async def test_operations_that_would_read_a_secret_are_refused(
    api: Api, runtime: Runtime, operation: dict[str, Any]
) -> None:
    key, salt = _secrets(runtime)
    before = await runtime.config_store.load()
    response = await api.patch_config([operation])
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert "pairwiseCalculation" in response.json()["error_description"]
    assert key not in response.text and salt not in response.text
    assert await runtime.config_store.load() == before


async def test_an_invalid_secret_is_not_quoted_back(api: Api, runtime: Runtime) -> None:
    short = "tiny-key"  # below the 16-character minimum
    response = await api.patch_config(
        [{"op": "replace", "path": "/pairwiseCalculationKey", "value": short}]
    )
    assert response.status_code == 400
    description = response.json()["error_description"]
    assert description.startswith("Invalid configuration: pairwiseCalculationKey:")
    assert short not in description
    other = await api.patch_config([{"op": "replace", "path": "/idTokenLifetime", "value": "x1"}])
    assert '"x1"' in other.json()["error_description"]  # other values are quoted as before


@pytest.mark.parametrize("path", ["/requirePkce", "requirePkce"])
async def test_patch_with_slash_or_bare_path_applies_at_once(
    api: Api, runtime: Runtime, path: str
) -> None:
    response = await api.patch_config([{"op": "replace", "path": path, "value": True}])
    assert response.status_code == 200, response.text
    assert response.json()["requirePkce"] is True
    assert runtime.services.config.current.requirePkce is True
    assert (await api.config())["requirePkce"] is True


async def test_patch_several_operations_and_list_members(api: Api, runtime: Runtime) -> None:
    response = await api.patch_config(
        [
            {"op": "test", "path": "/accessTokenLifetime", "value": 300},
            {"op": "replace", "path": "/accessTokenLifetime", "value": 600},
            {"op": "add", "path": "/clientBlackList/-", "value": "*.attacker.example/*"},
            {"op": "remove", "path": "/codeChallengeMethodsSupported/1"},
        ]
    )
    assert response.status_code == 200, response.text
    config = runtime.services.config.current
    assert config.accessTokenLifetime == 600
    assert config.clientBlackList == ["*.attacker.example/*"]
    assert config.codeChallengeMethodsSupported == ["S256"]


async def test_remove_resets_a_property_to_its_default(api: Api, runtime: Runtime) -> None:
    await api.patch_config([{"op": "replace", "path": "/idTokenLifetime", "value": 60}])
    response = await api.patch_config([{"op": "remove", "path": "/idTokenLifetime"}])
    assert response.status_code == 200, response.text
    assert runtime.services.config.current.idTokenLifetime == 3600


INVALID: list[tuple[Any, str]] = [
    ([{"op": "replace", "path": "/noSuchProperty", "value": 1}], "noSuchProperty"),
    ([{"op": "add", "path": "noSuchProperty", "value": 1}], "noSuchProperty"),
    ([{"op": "replace", "path": "/requirePkce", "value": "false"}], "requirePkce"),
    ([{"op": "replace", "path": "/accessTokenLifetime", "value": "300"}], "accessTokenLifetime"),
    ([{"op": "replace", "path": "/accessTokenLifetime", "value": -5}], "accessTokenLifetime"),
    ([{"op": "replace", "path": "/refreshTokenLifetime", "value": 0}], "refreshTokenLifetime"),
    ([{"op": "replace", "path": "/accessTokenLifetime", "value": 1.5}], "accessTokenLifetime"),
    (
        [{"op": "replace", "path": "/tokenEndpointAuthMethodsSupported", "value": ["tls"]}],
        "tokenEndpointAuthMethodsSupported",
    ),
    (
        [{"op": "replace", "path": "/codeChallengeMethodsSupported", "value": ["plain"]}],
        "codeChallengeMethodsSupported",
    ),
    ([{"op": "replace", "path": "/defaultSubjectType", "value": "x"}], "defaultSubjectType"),
    (
        [{"op": "replace", "path": "/clientAuthenticationFilters", "value": [{"bind": 1}]}],
        "clientAuthenticationFilters/0/filter",
    ),
    ([{"op": "remove", "path": "/pairwiseCalculationKey"}], "pairwiseCalculationKey"),
    ([{"op": "replace", "path": "/requirePkce"}], "requirePkce"),
    ([{"op": "remove", "path": "/clientBlackList/5"}], "clientBlackList"),
    ([{"op": "jump", "path": "/requirePkce"}], "op"),
    ([{"op": ["replace"], "path": "/requirePkce", "value": True}], "op"),  # was a 500
    ([{"op": {"replace": 1}, "path": "/requirePkce", "value": True}], "op"),
    ([{"op": "replace", "path": "", "value": {}}], "path"),
    ({"op": "replace", "path": "/requirePkce", "value": True}, "array"),
    ([], "array"),
    (["replace"], "Operation 0"),
    (
        [
            {"op": "replace", "path": "/requirePkce", "value": True},
            {"op": "replace", "path": "/sessionIdLifetime", "value": -1},
        ],
        "sessionIdLifetime",
    ),
]


@pytest.mark.parametrize(("patch", "named"), INVALID)
async def test_invalid_patch_is_400_naming_the_property_and_changes_nothing(
    api: Api, runtime: Runtime, patch: Any, named: str
) -> None:
    before = await runtime.config_store.load()
    response = await api.patch_config(patch)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert named in body["error_description"]
    assert await runtime.config_store.load() == before
    assert runtime.services.config.current.requirePkce is False
    assert (await api.get(paths.AUDIT, target_type="config")).json() == []


async def test_failed_test_operation_is_409_and_changes_nothing(api: Api, runtime: Runtime) -> None:
    before = await runtime.config_store.load()
    response = await api.patch_config(
        [
            {"op": "test", "path": "/accessTokenLifetime", "value": 1},
            {"op": "replace", "path": "/accessTokenLifetime", "value": 600},
        ]
    )
    assert response.status_code == 409
    assert await runtime.config_store.load() == before


@pytest.mark.parametrize("body", [b"{not json", b""])
async def test_malformed_json_is_400(api: Api, body: bytes) -> None:
    response = await api.patch_config(body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_oversized_body_is_413_and_changes_nothing(api: Api, runtime: Runtime) -> None:
    before = await runtime.config_store.load()
    ops = [{"op": "replace", "path": "/jansOpenIdConnectVersion", "value": "x" * 70_000}]
    response = await api.patch_config(ops)
    assert response.status_code == 413
    assert await runtime.config_store.load() == before


async def test_wrong_content_type_is_415(api: Api) -> None:
    response = await api.patch_config([], content_type="text/plain")
    assert response.status_code == 415


async def test_no_token_is_401_with_a_bare_bearer_challenge(http: httpx.AsyncClient) -> None:
    for method in ("GET", "PATCH"):
        response = await http.request(method, paths.CONFIG)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="jans-config-api"'
        assert response.json()["error"] == "invalid_token"


async def test_unknown_token_is_401_invalid_token(http: httpx.AsyncClient) -> None:
    response = await http.get(paths.CONFIG, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_basic_credentials_are_not_a_bearer_token(
    http: httpx.AsyncClient, admin_credentials: tuple[str, str]
) -> None:
    response = await http.get(paths.CONFIG, auth=admin_credentials)
    assert response.status_code == 401


async def test_token_without_the_scope_is_403(
    http: httpx.AsyncClient, token_for: TokenFactory, runtime: Runtime
) -> None:
    api = Api(http, await token_for(CLIENTS_READ))
    response = await api.get(paths.CONFIG)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{PROPERTIES_READ}"' in challenge

    read_only = Api(http, await token_for(PROPERTIES_READ))
    assert (await read_only.get(paths.CONFIG)).status_code == 200
    before = await runtime.config_store.load()
    response = await read_only.patch_config(
        [{"op": "replace", "path": "/requirePkce", "value": True}]
    )
    assert response.status_code == 403
    assert await runtime.config_store.load() == before


async def test_expired_token_is_401(api: Api, runtime: Runtime, clock: Any) -> None:
    clock.advance(301)
    response = await api.get(paths.CONFIG)
    assert response.status_code == 401


async def test_change_reaches_other_instances_within_the_poll_interval(
    api: Api, runtime: Runtime
) -> None:
    other_settings = Settings(
        issuer_url=runtime.settings.issuer,
        database_url=runtime.settings.database,
        config_poll_interval=0.2,
    )
    other = await Runtime.start(other_settings, migrate=False)
    try:
        assert other.services.config.current.accessTokenLifetime == 300
        response = await api.patch_config(
            [{"op": "replace", "path": "accessTokenLifetime", "value": 120}]
        )
        assert response.status_code == 200
        for _ in range(50):
            if other.services.config.current.accessTokenLifetime == 120:
                break
            await asyncio.sleep(0.05)
        assert other.services.config.current.accessTokenLifetime == 120
    finally:
        await other.stop()


async def test_flow_document_step_toggle_client_authentication_filters(
    api: Api, http: httpx.AsyncClient, browser: Browser
) -> None:
    """The flow document's configuration step (docs/janssen-compatibility.md §1.1, §6.2):
    with the filters on, the public client's token request gets 401; turning them off through
    the Config API makes it succeed."""
    client = (await http.post("/jans-auth/restv1/register", json=flow_registration_body())).json()
    on = [{"op": "replace", "path": "clientAuthenticationFiltersEnabled", "value": True}]
    assert (await api.patch_config(on)).status_code == 200

    async def token_request() -> httpx.Response:
        verifier = new_verifier()
        result = await browser.authorize(
            authorize_params(client["client_id"], s256(verifier), "S256")
        )
        form = token_form(client["client_id"], result.params["code"], verifier)
        return await http.post("/jans-auth/restv1/token", data=form)

    refused = await token_request()
    assert refused.status_code == 401
    assert "client authentication filters are enabled" in refused.json()["error_description"]

    off = [{"op": "replace", "path": "/clientAuthenticationFiltersEnabled", "value": False}]
    assert (await api.patch_config(off)).status_code == 200
    accepted = await token_request()
    assert accepted.status_code == 200, accepted.text


async def test_concurrent_patches_all_apply(api: Api, runtime: Runtime) -> None:
    """Compare-and-set with retry: patches to different properties never overwrite each other."""
    changes = {
        "accessTokenLifetime": 301,
        "idTokenLifetime": 3601,
        "refreshTokenLifetime": 14401,
        "authorizationCodeLifetime": 61,
        "errorReasonEnabled": True,
    }
    responses = await asyncio.gather(
        *(api.patch_config([{"op": "replace", "path": k, "value": v}]) for k, v in changes.items())
    )
    assert [r.status_code for r in responses] == [200] * len(changes)
    loaded = await runtime.config_store.load()
    assert loaded is not None
    _, document = loaded
    assert {k: document[k] for k in changes} == changes
    assert len((await api.get(paths.AUDIT, target_type="config")).json()) == len(changes)
