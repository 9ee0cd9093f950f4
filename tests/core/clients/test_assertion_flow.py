"""private_key_jwt client authentication (RFC 7523) on memory services: assertions signed
with a key of the client's ``jwks`` or ``jwks_uri``, and every way one is refused."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from authgate.core.clients.assertion import ASSERTION_TYPE
from authgate.core.clients.authentication import authenticate, authenticated
from authgate.core.endpoints import EndpointUrls
from authgate.core.ports import Services
from authgate.core.tokens.endpoint import token
from authgate.core.types import Client
from authgate.errors import InvalidClient, InvalidRequest
from tests.core.flow_support import SECRET, code_form, issue_code
from tests.memory import StaticJwksSource, add_client, advance, make_services

FAILED = "Client authentication failed: "
JWKS_URI = "https://rp.example.test/jwks.json"
#: One key per test session: generating keys is not what these tests are about.
KEY = ECKey.generate_key("P-256", parameters={"kid": "k1"})
OTHER = ECKey.generate_key("P-256", parameters={"kid": "k2"})


def _jwks(*keys: ECKey | RSAKey) -> dict[str, Any]:
    return {"keys": [dict(k.as_dict(private=False)) for k in keys]}


def _assertion(
    svc: Services,
    client_id: str,
    key: ECKey | RSAKey = KEY,
    *,
    alg: str = "ES256",
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> dict[str, str]:
    """The form members of a client assertion signed with ``key``, valid for 60 s."""
    now = int(svc.clock.now())
    body: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": EndpointUrls(svc.issuer).token_endpoint,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    } | claims
    for name in drop:
        del body[name]
    value = jwt.encode({"alg": alg, "kid": key.kid}, body, key, algorithms=[alg])
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": value}


async def _client(svc: Services, **metadata: Any) -> Client:
    metadata.setdefault("jwks", _jwks(KEY))
    return await add_client(svc, token_endpoint_auth_method="private_key_jwt", **metadata)


async def test_assertion_signed_with_a_registered_key_authenticates() -> None:
    svc = make_services()
    client = await _client(svc)
    result = await authenticated(_assertion(svc, client.client_id), None, svc)
    assert (result.client, result.method) == (client, "private_key_jwt")


@pytest.mark.parametrize("aud", ["issuer", "list"])
async def test_issuer_or_a_list_naming_the_token_endpoint_is_an_accepted_audience(aud: str) -> None:
    svc = make_services()
    client = await _client(svc)
    value: Any = svc.issuer
    if aud == "list":
        value = ["https://elsewhere.example", EndpointUrls(svc.issuer).token_endpoint]
    assert await authenticate(_assertion(svc, client.client_id, aud=value), None, svc) == client


async def test_replayed_jti_is_refused_for_this_client_only() -> None:
    svc = make_services()
    client, other = await _client(svc), await _client(svc)
    form = _assertion(svc, client.client_id, jti="once")
    await authenticate(form, None, svc)
    with pytest.raises(InvalidClient) as caught:
        await authenticate(form, None, svc)
    assert caught.value.description == FAILED + "the assertion was already used"
    with pytest.raises(InvalidClient, match="already used"):  # a new assertion, same jti
        await authenticate(_assertion(svc, client.client_id, jti="once"), None, svc)
    assert await authenticate(_assertion(svc, other.client_id, jti="once"), None, svc) == other


@pytest.mark.parametrize(
    ("claims", "drop", "elapsed", "description"),
    [
        ({}, ("jti",), 0, "the assertion has no jti"),
        ({}, ("exp",), 0, "the assertion has no exp"),
        ({}, (), 90, "the assertion has expired"),  # exp + 30 s of leeway
        ({"exp": "soon"}, (), 0, "exp must be a number"),
        ({"aud": "https://elsewhere.example/token"}, (), 0, "the assertion's aud must be"),
        ({"sub": "someone-else"}, (), 0, "the assertion's iss and sub must both be the client_id"),
    ],
)
async def test_claims_are_checked(
    claims: dict[str, Any], drop: tuple[str, ...], elapsed: int, description: str
) -> None:
    svc = make_services()
    client = await _client(svc)
    form = _assertion(svc, client.client_id, drop=drop, **claims)
    advance(svc, elapsed)
    with pytest.raises(InvalidClient) as caught:
        await authenticate(form, None, svc)
    assert caught.value.description.startswith(FAILED + description)


async def test_exp_and_iat_may_not_be_far_ahead() -> None:
    svc = make_services()
    client = await _client(svc)
    now = int(svc.clock.now())
    with pytest.raises(InvalidClient, match="exp is more than 600 s ahead"):
        await authenticate(_assertion(svc, client.client_id, exp=now + 700), None, svc)
    with pytest.raises(InvalidClient, match="iat is ahead"):
        await authenticate(_assertion(svc, client.client_id, iat=now + 60), None, svc)


async def test_signature_from_another_key_is_refused() -> None:
    svc = make_services()
    client = await _client(svc)
    with pytest.raises(InvalidClient) as caught:
        await authenticate(_assertion(svc, client.client_id, OTHER), None, svc)
    assert caught.value.description == FAILED + "the assertion signature is invalid"


async def test_alg_must_be_the_registered_one() -> None:
    svc = make_services()
    client = await _client(svc, token_endpoint_auth_signing_alg="RS256")
    with pytest.raises(InvalidClient) as caught:
        await authenticate(_assertion(svc, client.client_id), None, svc)
    assert caught.value.description == FAILED + "assertion alg 'ES256' is not allowed"


async def test_client_not_registered_for_private_key_jwt() -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET, jwks=_jwks(KEY))
    with pytest.raises(InvalidClient) as caught:
        await authenticate(_assertion(svc, client.client_id), None, svc)
    assert caught.value.description == (FAILED + "the client is not registered for private_key_jwt")


@pytest.mark.parametrize(
    ("changes", "error", "description"),
    [
        ({"client_secret": SECRET}, InvalidRequest, "Use only one client authentication method"),
        ({"client_assertion_type": None}, InvalidRequest, "client_assertion and client_assertion"),
        ({"client_assertion_type": "urn:x"}, InvalidClient, "client_assertion_type must be"),
        ({"client_id": "someone-else"}, InvalidClient, FAILED + "client_id differs"),
    ],
)
async def test_malformed_assertion_requests(
    changes: dict[str, str | None], error: type[Exception], description: str
) -> None:
    svc = make_services()
    client = await _client(svc)
    form: dict[str, str | None] = {**_assertion(svc, client.client_id), **changes}
    with pytest.raises(error) as caught:
        await authenticate({k: v for k, v in form.items() if v is not None}, None, svc)
    assert str(caught.value).startswith(description)


class CachedJwks(StaticJwksSource):
    """Serves ``cached`` until asked to refresh, as the HTTP source's cache would."""

    def __init__(self, cached: dict[str, Any], published: dict[str, Any]) -> None:
        super().__init__({JWKS_URI: published})
        self.cached = cached

    async def get(self, uri: str, *, refresh: bool = False) -> Mapping[str, Any]:
        document = await super().get(uri, refresh=refresh)
        return document if refresh else self.cached


@pytest.mark.parametrize(("published", "accepted"), [((KEY,), True), ((OTHER,), False)])
async def test_jwks_uri_is_refetched_once_for_an_unknown_kid(
    published: tuple[ECKey, ...], accepted: bool
) -> None:
    source = CachedJwks(_jwks(OTHER), _jwks(*published))  # the client rotated to KEY, or not
    svc = make_services(jwks=source)
    client = await _client(svc, jwks=None, jwks_uri=JWKS_URI)
    form = _assertion(svc, client.client_id)
    if accepted:
        assert await authenticate(form, None, svc) == client
    else:
        with pytest.raises(InvalidClient, match="the assertion signature is invalid"):
            await authenticate(form, None, svc)
    assert source.requests == [(JWKS_URI, False), (JWKS_URI, True)]


async def test_unreachable_jwks_uri_is_invalid_client() -> None:
    svc = make_services()
    client = await _client(svc, jwks=None, jwks_uri=JWKS_URI)
    with pytest.raises(InvalidClient) as caught:
        await authenticate(_assertion(svc, client.client_id), None, svc)
    assert caught.value.description == FAILED + "the client's jwks_uri could not be read"


async def test_private_key_jwt_client_redeems_a_code() -> None:
    svc = make_services()
    client = await _client(svc)
    issued = await issue_code(svc, client, method=None)
    form = code_form(issued, client_id=None) | _assertion(svc, client.client_id)
    body = await token(form, None, svc)
    assert svc.keys.verify(body["id_token"])["aud"] == client.client_id
