"""Client authentication (RFC 6749 §2.3) on memory services: client_secret_basic,
client_secret_post and ``none``, what each client may use, and the refusals."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.clients.authentication import authenticate, authenticated
from authgate.errors import InvalidClient, InvalidRequest, OAuthError
from tests.core.flow_support import SECRET, basic
from tests.memory import StaticConfig, add_client, advance, make_services

FAILED = "Client authentication failed: "
UNKNOWN = FAILED + "unknown, disabled or expired client"
WRONG = FAILED + "wrong client secret"


@pytest.mark.parametrize(
    ("registered", "extra", "method"),
    [
        ("client_secret_basic", [], "client_secret_basic"),
        ("client_secret_post", [], "client_secret_post"),
        ("client_secret_basic", ["client_secret_post"], "client_secret_post"),
    ],
)
async def test_secret_methods(registered: str, extra: list[str], method: str) -> None:
    svc = make_services()
    client = await add_client(
        svc,
        secret=SECRET,
        token_endpoint_auth_method=registered,
        additional_token_endpoint_auth_methods=extra,
    )
    if method == "client_secret_basic":
        form, header = {"client_id": client.client_id}, basic(client.client_id, SECRET)
    else:
        form, header = {"client_id": client.client_id, "client_secret": SECRET}, None
    result = await authenticated(form, header, svc)
    assert (result.client, result.method) == (client, method)


async def test_basic_credentials_are_form_urlencoded() -> None:
    svc = make_services()
    secret = "a:b+c%d é"
    client = await add_client(svc, client_id="id with:colon", secret=secret)
    assert await authenticate({}, basic(client.client_id, secret), svc) == client


async def test_public_client_names_itself() -> None:
    svc = make_services()
    client = await add_client(svc)
    result = await authenticated({"client_id": client.client_id}, None, svc)
    assert (result.client, result.method) == (client, "none")


@pytest.mark.parametrize("how", ["basic", "post"])
async def test_wrong_secret(how: str) -> None:
    svc = make_services()
    client = await add_client(
        svc,
        secret=SECRET,
        token_endpoint_auth_method="client_secret_basic",
        additional_token_endpoint_auth_methods=["client_secret_post"],
    )
    form: dict[str, str] = {}
    header = None
    if how == "basic":
        header = basic(client.client_id, SECRET + "x")
    else:
        form = {"client_id": client.client_id, "client_secret": SECRET.upper()}
    with pytest.raises(InvalidClient) as caught:
        await authenticate(form, header, svc)
    assert caught.value.description == WRONG
    assert caught.value.status_code == 401


@pytest.mark.parametrize("state", ["unknown", "disabled", "expired"])
async def test_unusable_client(state: str) -> None:
    svc = make_services()
    now = int(svc.clock.now())
    await add_client(svc, client_id="disabled", secret=SECRET, disabled=True)
    await add_client(svc, client_id="expired", secret=SECRET, expires_at=now + 60)
    advance(svc, 60)
    with pytest.raises(InvalidClient) as caught:
        await authenticate({}, basic(state, SECRET), svc)
    assert caught.value.description == UNKNOWN
    with pytest.raises(InvalidClient, match="unknown, disabled or expired"):
        await authenticate({"client_id": state}, None, svc)


@pytest.mark.parametrize(
    ("registered", "secret", "form", "use_basic", "description"),
    [
        (
            "client_secret_basic",
            SECRET,
            {"client_secret": SECRET},
            False,
            FAILED + "the client is not registered for client_secret_post",
        ),
        (
            "client_secret_post",
            SECRET,
            {},
            True,
            FAILED + "the client is not registered for client_secret_basic",
        ),
        (
            "none",
            None,
            {},
            True,
            FAILED + "the client is not registered for client_secret_basic",
        ),
        (
            "client_secret_basic",
            SECRET,
            {},
            False,
            FAILED + "this client must authenticate with client_secret_basic",
        ),
        (
            "private_key_jwt",
            None,
            {},
            False,
            FAILED + "this client must authenticate with private_key_jwt",
        ),
    ],
)
async def test_method_not_registered_for_the_client(
    registered: str, secret: str | None, form: dict[str, str], use_basic: bool, description: str
) -> None:
    svc = make_services()
    metadata: dict[str, Any] = {"token_endpoint_auth_method": registered}
    if registered == "private_key_jwt":
        metadata["jwks"] = {"keys": []}
    client = await add_client(svc, secret=secret, **metadata)
    header = basic(client.client_id, SECRET) if use_basic else None
    with pytest.raises(InvalidClient) as caught:
        await authenticate({"client_id": client.client_id} | form, header, svc)
    assert caught.value.description == description


async def test_expired_secret() -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET)
    expiring = dataclasses.replace(client, client_secret_expires_at=int(svc.clock.now()) + 10)
    assert await svc.clients.replace(expiring)
    header = basic(client.client_id, SECRET)
    assert (await authenticate({}, header, svc)).client_id == client.client_id
    advance(svc, 10)
    with pytest.raises(InvalidClient) as caught:
        await authenticate({}, header, svc)
    assert caught.value.description == FAILED + "the client secret has expired"


@pytest.mark.parametrize(
    ("form", "header", "error", "description"),
    [
        (
            {"client_id": "c", "client_secret": SECRET},
            basic("c", SECRET),
            InvalidRequest,
            "Use only one client authentication method (RFC 6749 §2.3)",
        ),
        (
            {"client_id": "other"},
            basic("c", SECRET),
            InvalidRequest,
            "client_id does not match the authenticated client",
        ),
        ({}, "Basic !!!", InvalidClient, "The Authorization header is not valid Basic credentials"),
        (
            {},
            "Basic " + base64.b64encode(b"no-colon").decode(),
            InvalidClient,
            "The Authorization header is not valid Basic credentials",
        ),
        ({}, None, InvalidClient, FAILED + "no client_id and no credentials"),
        ({}, "Bearer abc", InvalidClient, FAILED + "no client_id and no credentials"),
    ],
)
async def test_malformed_requests(
    form: dict[str, str], header: str | None, error: type[OAuthError], description: str
) -> None:
    svc = make_services()
    await add_client(svc, client_id="c", secret=SECRET)
    with pytest.raises(OAuthError) as caught:
        await authenticate(form, header, svc)
    assert type(caught.value) is error
    assert caught.value.description == description


async def test_filters_enabled_shut_out_public_clients() -> None:
    config = AppConfiguration(clientAuthenticationFiltersEnabled=True)
    svc = make_services(config=StaticConfig(config))
    public = await add_client(svc)
    with pytest.raises(InvalidClient) as caught:
        await authenticate({"client_id": public.client_id}, None, svc)
    assert caught.value.description.startswith(
        FAILED + "client authentication filters are enabled (clientAuthenticationFiltersEnabled"
    )
    confidential = await add_client(svc, secret=SECRET)
    assert await authenticate({}, basic(confidential.client_id, SECRET), svc) == confidential
