"""Resource indicators (RFC 8707) through the core on memory services: at the authorization
endpoint (refused before any login), at the token endpoint for the code, refresh and client
credentials grants (narrowing, never widening), and the audience they give a token (JWT
``aud``, introspection ``aud``), with userinfo still answering."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import request as authorize
from authgate.core.params import VALUE_SEPARATOR
from authgate.core.ports import Services
from authgate.core.tokens.endpoint import token
from authgate.core.tokens.introspection import introspect
from authgate.core.tokens.userinfo import active_access_token, userinfo
from authgate.core.types import TokenRecord
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidTarget, RedirectError
from tests.core.flow_support import (
    SECRET,
    basic,
    code_form,
    issue_code,
    refreshing_client,
)
from tests.memory import StaticConfig, add_client, make_services
from tests.support import authorize_params

API = "https://api.example/"
OTHER = "https://other.example/v1"
ELSEWHERE = "https://elsewhere.example/"


def _services(**config: Any) -> Services:
    return make_services(config=StaticConfig(AppConfiguration(**config)))


def _res(*values: str) -> str:
    return VALUE_SEPARATOR.join(values)


async def _record(svc: Services, value: str) -> TokenRecord:
    record = await svc.grants.get_token(handle_hash(value))
    assert record is not None
    return record


async def test_authorize_keeps_allowed_resources_for_the_tokens() -> None:
    svc = make_services()
    client = await refreshing_client(svc, allowed_resources=[API, OTHER])
    issued = await issue_code(svc, client, resource=_res(API, OTHER))
    body = await token(code_form(issued), None, svc)
    access = await _record(svc, body["access_token"])
    assert access.audience == (API, OTHER)
    assert (await _record(svc, body["refresh_token"])).audience == (API, OTHER)


async def test_authorize_refuses_a_resource_outside_the_list_as_a_redirect() -> None:
    svc = make_services()
    client = await add_client(svc, allowed_resources=[API])
    params = authorize_params(client.client_id, None, None, resource=ELSEWHERE)
    with pytest.raises(RedirectError) as caught:
        await authorize.validate(params, svc)
    assert caught.value.cause.error == "invalid_target"


async def test_authorize_refuses_a_malformed_resource() -> None:
    svc = make_services()
    client = await add_client(svc, allowed_resources=[API])
    params = authorize_params(client.client_id, None, None, resource="https://api.example/#f")
    with pytest.raises(RedirectError) as caught:
        await authorize.validate(params, svc)
    assert caught.value.cause.error == "invalid_target"
    assert "fragment" in caught.value.cause.description


async def test_the_server_default_list_applies_to_clients_without_their_own() -> None:
    svc = _services(defaultResourceIndicators=[OTHER])
    client = await add_client(svc, secret=SECRET)
    ok = authorize_params(client.client_id, None, None, resource=OTHER)
    request, _ = await authorize.validate(ok, svc)
    assert request.resource == (OTHER,)
    refused = authorize_params(client.client_id, None, None, resource=API)
    with pytest.raises(RedirectError):
        await authorize.validate(refused, svc)


async def test_the_token_request_narrows_to_a_subset() -> None:
    svc = make_services()
    client = await refreshing_client(svc, allowed_resources=[API, OTHER])
    issued = await issue_code(svc, client, resource=_res(API, OTHER))
    body = await token(code_form(issued, resource=OTHER), None, svc)
    assert (await _record(svc, body["access_token"])).audience == (OTHER,)
    # the refresh token keeps what the grant authorized
    assert (await _record(svc, body["refresh_token"])).audience == (API, OTHER)


async def test_the_token_request_cannot_name_a_resource_the_code_did_not_authorize() -> None:
    svc = make_services()
    client = await refreshing_client(svc, allowed_resources=[API, OTHER])
    issued = await issue_code(svc, client, resource=API)
    with pytest.raises(InvalidTarget):
        await token(code_form(issued, resource=OTHER), None, svc)
    # a failed check leaves the code usable
    body = await token(code_form(issued), None, svc)
    assert (await _record(svc, body["access_token"])).audience == (API,)


async def test_a_code_without_resources_allows_the_clients_list_at_the_token_endpoint() -> None:
    svc = make_services()
    client = await refreshing_client(svc, allowed_resources=[API])
    issued = await issue_code(svc, client)
    with pytest.raises(InvalidTarget):
        await token(code_form(issued, resource=ELSEWHERE), None, svc)
    body = await token(code_form(issued, resource=API), None, svc)
    assert (await _record(svc, body["access_token"])).audience == (API,)


async def test_a_refresh_narrows_but_never_widens() -> None:
    svc = make_services()
    client = await refreshing_client(svc, allowed_resources=[API, OTHER, ELSEWHERE])
    issued = await issue_code(svc, client, resource=_res(API, OTHER))
    first = await token(code_form(issued, resource=API), None, svc)
    form = {"grant_type": "refresh_token", "client_id": client.client_id}
    asked = {"refresh_token": first["refresh_token"], "resource": OTHER}
    narrowed = await token(form | asked, None, svc)
    assert (await _record(svc, narrowed["access_token"])).audience == (OTHER,)
    assert (await _record(svc, narrowed["refresh_token"])).audience == (API, OTHER)
    with pytest.raises(InvalidTarget):
        await token(
            form | {"refresh_token": narrowed["refresh_token"], "resource": ELSEWHERE}, None, svc
        )
    # without a resource: everything the grant authorized again
    again = await token(form | {"refresh_token": narrowed["refresh_token"]}, None, svc)
    assert (await _record(svc, again["access_token"])).audience == (API, OTHER)


async def test_client_credentials_takes_allowed_resources_only() -> None:
    svc = make_services()
    client = await add_client(
        svc, secret=SECRET, grant_types=["client_credentials"], allowed_resources=[API]
    )
    header = basic(client.client_id, SECRET)
    body = await token({"grant_type": "client_credentials", "resource": API}, header, svc)
    assert (await _record(svc, body["access_token"])).audience == (API,)
    with pytest.raises(InvalidTarget):
        await token({"grant_type": "client_credentials", "resource": OTHER}, header, svc)


async def test_jwt_access_tokens_carry_the_resources_as_aud() -> None:
    svc = make_services()
    client = await refreshing_client(svc, allowed_resources=[API, OTHER], access_token_as_jwt=True)
    one = await issue_code(svc, client, resource=API)
    single = await token(code_form(one), None, svc)
    assert svc.keys.verify(single["access_token"])["aud"] == API
    two = await issue_code(svc, client, resource=_res(API, OTHER))
    double = await token(code_form(two), None, svc)
    assert svc.keys.verify(double["access_token"])["aud"] == [API, OTHER]
    plain = await issue_code(svc, client)
    default = await token(code_form(plain), None, svc)
    assert svc.keys.verify(default["access_token"])["aud"] == client.client_id


async def test_introspection_reports_the_resources_as_aud_and_userinfo_still_answers() -> None:
    svc = make_services()
    client = await refreshing_client(svc, allowed_resources=[API, OTHER])
    rs = await add_client(svc, secret=SECRET, grant_types=["client_credentials"])
    issued = await issue_code(svc, client, resource=_res(API, OTHER))
    body = await token(code_form(issued, resource=API), None, svc)
    # the resource server cannot see it (not its token, not its client_id as audience) ...
    seen = await introspect({"token": body["access_token"]}, basic(rs.client_id, SECRET), svc)
    assert seen == {"active": False}
    # ... the client's own introspection would need a confidential client; check the body
    owner = await add_client(
        svc, secret=SECRET, grant_types=["authorization_code"], allowed_resources=[API]
    )
    issued2 = await issue_code(svc, owner, method=None, resource=API)
    body2 = await token(code_form(issued2), basic(owner.client_id, SECRET), svc)
    desc = await introspect({"token": body2["access_token"]}, basic(owner.client_id, SECRET), svc)
    assert desc["active"] is True and desc["aud"] == API
    # userinfo: the token has the openid scope, so it answers whatever its audience
    record = await active_access_token(body["access_token"], svc)
    assert (await userinfo(record, svc)).claims["sub"]
