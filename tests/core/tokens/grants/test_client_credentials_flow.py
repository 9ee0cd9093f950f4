"""The client_credentials grant through the token endpoint's core on memory services: a
confidential client acting for itself, within its registered scopes."""

from __future__ import annotations

import pytest

from authgate.core.tokens.endpoint import token
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidScope, UnauthorizedClient
from tests.core.flow_support import SECRET, basic
from tests.memory import add_client, advance, make_services

GRANT = {"grant_type": "client_credentials"}
SCOPES = ["openid", "profile", "email"]


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        (None, "openid profile email"),  # every registered scope
        ("profile", "profile"),
        ("email profile email", "email profile"),
    ],
)
async def test_confidential_client_gets_an_access_token_only(
    requested: str | None, granted: str
) -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET, grant_types=["client_credentials"], scope=SCOPES)
    form = GRANT | ({} if requested is None else {"scope": requested})
    advance(svc, 1)
    body = await token(form, basic(client.client_id, SECRET), svc)
    assert body == {
        "access_token": body["access_token"],
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": granted,
    }
    record = await svc.grants.get_token(handle_hash(body["access_token"]))
    assert record is not None
    assert (record.kind, record.client_id, record.user_id) == (
        "access_token",
        client.client_id,
        None,
    )
    assert record.scope == tuple(granted.split())
    assert record.expires_at == svc.clock.now() + 300


async def test_secret_in_the_body_works_too() -> None:
    svc = make_services()
    client = await add_client(
        svc,
        secret=SECRET,
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_post",
    )
    form = GRANT | {"client_id": client.client_id, "client_secret": SECRET}
    assert (await token(form, None, svc))["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("scope", "description"),
    [
        ("openid admin", "The client is not registered for scope(s): admin"),
        ("offline_access zz", "The client is not registered for scope(s): offline_access zz"),
        ("  ", "The scope parameter is empty"),
    ],
)
async def test_scope_outside_the_registration_is_refused(scope: str, description: str) -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET, grant_types=["client_credentials"], scope=SCOPES)
    with pytest.raises(InvalidScope) as caught:
        await token(GRANT | {"scope": scope}, basic(client.client_id, SECRET), svc)
    assert caught.value.description == description


async def test_public_client_is_refused_even_when_registered_for_the_grant() -> None:
    svc = make_services()
    client = await add_client(svc, grant_types=["client_credentials"])
    with pytest.raises(UnauthorizedClient) as caught:
        await token(GRANT | {"client_id": client.client_id}, None, svc)
    assert caught.value.description == (
        "The client_credentials grant is only for confidential clients"
    )


async def test_client_not_registered_for_the_grant_is_refused() -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET)
    with pytest.raises(UnauthorizedClient) as caught:
        await token(GRANT, basic(client.client_id, SECRET), svc)
    assert caught.value.description == (
        "The client is not registered for the client_credentials grant"
    )
