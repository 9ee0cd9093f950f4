"""Initial access tokens through the Config API: issued with their value shown once, listed
and audited without it, revoked; the scopes that guard them; and configuration changes to
the registration policy and the lists of protocol names, refused by name when unknown."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from authgate.admin import paths
from authgate.admin.client import AdminApiError, AdminClient
from authgate.admin.scopes import INITIAL_TOKENS_READ, INITIAL_TOKENS_WRITE, PROPERTIES_READ
from authgate.runtime import Runtime
from authgate.web.app import create_app
from tests.admin.conftest import TokenFactory
from tests.admin.support import Api
from tests.conftest import patch_config
from tests.software_statements import StatementIssuer
from tests.support import ISSUER, FakeClock, flow_registration_body

REGISTER = "/jans-auth/restv1/register"
TOKEN_POLICY = [
    {"op": "replace", "path": "/dynamicRegistrationPolicy", "value": "initial_access_token"}
]


def _schema(document: dict[str, Any], method: str, status: int) -> Draft202012Validator:
    content = document["paths"][paths.INITIAL_TOKENS][method]["responses"][str(status)]["content"]
    schema = content["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


async def test_issue_list_use_and_revoke(
    api: Api,
    http: httpx.AsyncClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert (await api.patch_config(TOKEN_POLICY)).status_code == 200
    created = await api.post(
        paths.INITIAL_TOKENS, {"description": "CI", "expires_in": 3600, "max_uses": 2}
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    issued = created.json()
    value = issued["initial_access_token"]
    assert "shown once" in issued["notice"]
    assert issued["state"] == "active" and issued["uses"] == 0 and issued["max_uses"] == 2
    assert issued["expires_at"] == clock.now() + 3600
    assert issued["created_by"].startswith("client:")

    registered = await http.post(
        REGISTER, json=flow_registration_body(), headers={"Authorization": f"Bearer {value}"}
    )
    assert registered.status_code == 201, registered.text

    listing = await api.get(paths.INITIAL_TOKENS)
    assert listing.status_code == 200
    [listed] = listing.json()
    assert listed["token_id"] == issued["token_id"] and listed["uses"] == 1
    assert listed["state"] == "active"
    assert value not in listing.text and "initial_access_token" not in listed

    document = (await http.get(paths.OPENAPI)).json()
    _schema(document, "post", 201).validate(issued)
    _schema(document, "get", 200).validate(listing.json())

    revoked = await api.delete(f"{paths.INITIAL_TOKENS}/{issued['token_id']}")
    assert revoked.status_code == 204
    again = await api.delete(f"{paths.INITIAL_TOKENS}/{issued['token_id']}")
    assert (again.status_code, again.json()["error"]) == (404, "not_found")
    assert (await api.get(paths.INITIAL_TOKENS)).json()[0]["state"] == "revoked"
    refused = await http.post(
        REGISTER, json=flow_registration_body(), headers={"Authorization": f"Bearer {value}"}
    )
    assert refused.status_code == 401

    audit = (await api.get(paths.AUDIT, target_type="initial_access_token")).json()
    assert [e["action"] for e in audit] == ["initial_token.revoke", "initial_token.issue"]
    assert audit[1]["after"] == {"description": "CI", "expires_at": issued["expires_at"],
                                 "max_uses": 2}  # fmt: skip
    assert value not in str(audit)
    assert value not in caplog.text


async def test_token_states(api: Api, http: httpx.AsyncClient, clock: FakeClock) -> None:
    await api.patch_config(TOKEN_POLICY)
    used = (await api.post(paths.INITIAL_TOKENS, {"max_uses": 1})).json()
    short = (await api.post(paths.INITIAL_TOKENS, {"expires_in": 60})).json()
    assert used["expires_at"] == clock.now() + 86400  # the default: a day
    await http.post(
        REGISTER,
        json=flow_registration_body(),
        headers={"Authorization": f"Bearer {used['initial_access_token']}"},
    )
    clock.advance(60)
    states = {t["token_id"]: t["state"] for t in (await api.get(paths.INITIAL_TOKENS)).json()}
    assert states == {used["token_id"]: "used_up", short["token_id"]: "expired"}


@pytest.mark.parametrize(
    ("body", "member"),
    [
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": "1"}, "max_uses"),
        ({"expires_in": 59}, "expires_in"),
        ({"expires_in": 365 * 86400 + 1}, "expires_in"),
        ({"description": "x" * 256}, "description"),
        ({"token_hash": "chosen"}, "token_hash"),
    ],
    ids=["no-uses", "uses-text", "too-short", "too-long", "long-description", "chosen-hash"],
)
async def test_invalid_requests_name_the_member(api: Api, body: Any, member: str) -> None:
    response = await api.post(paths.INITIAL_TOKENS, body)
    assert response.status_code == 400, response.text
    assert member in response.json()["error_description"]
    assert (await api.get(paths.INITIAL_TOKENS)).json() == []


async def test_scopes(http: httpx.AsyncClient, token_for: TokenFactory) -> None:
    reader = Api(http, await token_for(INITIAL_TOKENS_READ))
    assert (await reader.get(paths.INITIAL_TOKENS)).status_code == 200
    assert (await reader.post(paths.INITIAL_TOKENS, {})).status_code == 403
    assert (await reader.delete(f"{paths.INITIAL_TOKENS}/x")).status_code == 403
    writer = Api(http, await token_for(INITIAL_TOKENS_WRITE))
    assert (await writer.get(paths.INITIAL_TOKENS)).status_code == 403
    assert (await writer.post(paths.INITIAL_TOKENS, {})).status_code == 201
    other = Api(http, await token_for(PROPERTIES_READ))
    assert (await other.post(paths.INITIAL_TOKENS, {})).status_code == 403
    assert (await http.get(paths.INITIAL_TOKENS)).status_code == 401


async def test_the_remote_admin_client(
    runtime: Runtime, admin_credentials: tuple[str, str]
) -> None:
    """What ``authgate clients initial-tokens ... --url`` calls."""
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    async with AdminClient(ISSUER, *admin_credentials, transport=transport) as client:
        issued = await client.create_initial_token({"max_uses": 3, "description": "remote"})
        assert issued["max_uses"] == 3 and issued["initial_access_token"]
        [listed] = await client.list_initial_tokens()
        assert listed["token_id"] == issued["token_id"] and "initial_access_token" not in listed
        await client.revoke_initial_token(issued["token_id"])
        with pytest.raises(AdminApiError) as refused:
            await client.revoke_initial_token(issued["token_id"])
        assert refused.value.status == 404
        with pytest.raises(AdminApiError) as odd:
            await client.revoke_initial_token("a/b?c")  # quoted into one path segment
        assert odd.value.status == 404


# --- configuration changes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("grantTypesSupported", ["authorization_code", "password"], "'password'"),
        ("grantTypesSupportedByDynamicRegistration", ["authorisation"], "'authorisation'"),
        ("responseTypesSupported", ["code", "none"], "'none'"),
        ("responseTypesSupported", ["code code"], "'code code'"),
        ("responseModesSupported", ["query", "web_message"], "'web_message'"),
        ("dynamicRegistrationPolicy", "invite_only", "dynamicRegistrationPolicy"),
        ("dynamicRegistrationTrustedHosts", ["https://app.example"], "is not a host name"),
        ("softwareStatementTrustedIssuers", [{"issuer": "x", "jwks": {}}], "jwks"),
        ("softwareStatementRequired", "yes", "softwareStatementRequired"),
    ],
    ids=["password-grant", "typo-grant", "none-response", "repeated-part", "web-message",
         "policy", "host-url", "issuer-no-keys", "required-text"],
)  # fmt: skip
async def test_unknown_values_are_refused_by_name(
    api: Api, name: str, value: Any, named: str
) -> None:
    before = await api.config()
    response = await api.patch_config([{"op": "replace", "path": f"/{name}", "value": value}])
    assert response.status_code == 400, response.text
    description = response.json()["error_description"]
    assert name in description and named in description
    assert await api.config() == before


async def test_known_values_in_any_order_are_accepted(api: Api) -> None:
    issuer = StatementIssuer()
    ops = [
        {"op": "replace", "path": "/responseTypesSupported", "value": ["id_token code", "code"]},
        {"op": "replace", "path": "/grantTypesSupported",
         "value": ["refresh_token", "authorization_code"]},
        {"op": "replace", "path": "/dynamicRegistrationTrustedHosts",
         "value": ["App.Example.com", "*.example.org"]},
        {"op": "replace", "path": "/softwareStatementTrustedIssuers", "value": [issuer.trusted()]},
    ]  # fmt: skip
    response = await api.patch_config(ops)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dynamicRegistrationTrustedHosts"] == ["app.example.com", "*.example.org"]
    assert body["softwareStatementTrustedIssuers"][0]["issuer"] == issuer.issuer


async def test_a_stored_unknown_value_does_not_block_other_changes(
    api: Api, runtime: Runtime
) -> None:
    """A document written by an older version (or by hand) keeps loading, and only the
    properties a change touches are checked."""
    await patch_config(runtime, grantTypesSupported=["authorization_code", "password"])
    response = await api.patch_config([{"op": "replace", "path": "/requirePkce", "value": True}])
    assert response.status_code == 200, response.text
    assert response.json()["grantTypesSupported"] == ["authorization_code", "password"]
    refused = await api.patch_config(
        [{"op": "add", "path": "/grantTypesSupported/-", "value": "refresh_token"}]
    )
    assert refused.status_code == 400 and "'password'" in refused.json()["error_description"]
