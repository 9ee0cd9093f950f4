"""Who may register (dynamicRegistrationPolicy) on memory services: open, closed, and the
initial access token's life (missing, unknown, expired, used up, revoked, spent only by a
registration that succeeds, raced for its last use)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.discovery import document
from authgate.core.ports import ScopeStore, Services
from authgate.core.registration import management
from authgate.core.registration.endpoint import register
from authgate.core.types import InitialAccessToken, Scope
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import AccessDenied, InvalidClientMetadata, InvalidToken
from tests.memory import StaticConfig, advance, make_services
from tests.support import ISSUER, flow_registration_body

TOKEN_POLICY = {"dynamicRegistrationPolicy": "initial_access_token"}


def services(**config: object) -> Services:
    return make_services(config=StaticConfig(AppConfiguration.model_validate(config)))


async def issue(svc: Services, *, max_uses: int = 1, expires_in: float = 3600) -> str:
    """Store an initial access token as the Config API would; returns its value."""
    value = new_handle()
    now = svc.clock.now()
    await svc.initial_tokens.add(
        InitialAccessToken(str(uuid.uuid4()), handle_hash(value), now, now + expires_in, max_uses)
    )
    return value


async def uses(svc: Services, value: str) -> int:
    found = await svc.initial_tokens.find(handle_hash(value))
    assert found is not None
    return found.uses


async def test_open_registers_without_a_token_and_ignores_one() -> None:
    svc = services()
    assert (await register(flow_registration_body(), svc)).client.client_id
    registered = await register(flow_registration_body(), svc, initial_access_token="whatever")
    assert registered.client.client_id


@pytest.mark.parametrize(
    ("config", "description"),
    [
        ({"dynamicRegistrationPolicy": "closed"}, "closed"),
        ({"dynamicRegistrationEnabled": False}, "disabled"),
        ({"dynamicRegistrationEnabled": False, **TOKEN_POLICY}, "disabled"),
    ],
    ids=["closed", "disabled", "disabled-beats-token-policy"],
)
async def test_closed_registration_is_access_denied_and_not_advertised(
    config: dict[str, object], description: str
) -> None:
    svc = services(**config)
    value = await issue(svc)
    with pytest.raises(AccessDenied, match=description) as refused:
        await register(flow_registration_body(), svc, initial_access_token=value)
    assert refused.value.status_code == 403
    assert await uses(svc, value) == 0
    assert "registration_endpoint" not in document(ISSUER, svc.config.current, [])
    assert "registration_endpoint" in document(ISSUER, AppConfiguration(**TOKEN_POLICY), [])


async def test_a_client_keeps_managing_its_registration_when_registration_closes() -> None:
    svc = services()
    registered = await register(flow_registration_body(), svc)
    config = svc.config
    assert isinstance(config, StaticConfig)
    config.update(dynamicRegistrationPolicy="closed")
    client = await management.configured_client(
        registered.client.client_id, registered.registration_access_token, svc
    )
    updated = await management.update(client, flow_registration_body() | {"client_name": "B"}, svc)
    assert updated.client.metadata.client_name == "B"


@pytest.mark.parametrize("token", [None, ""], ids=["absent", "empty"])
async def test_the_token_policy_refuses_a_request_without_a_token(token: str | None) -> None:
    svc = services(**TOKEN_POLICY)
    with pytest.raises(InvalidToken, match="needs an initial access token"):
        await register(flow_registration_body(), svc, initial_access_token=token)


async def test_an_unknown_token_is_refused() -> None:
    svc = services(**TOKEN_POLICY)
    await issue(svc)
    with pytest.raises(InvalidToken, match="not valid"):
        await register(flow_registration_body(), svc, initial_access_token=new_handle())


async def test_a_token_registers_up_to_max_uses_clients() -> None:
    svc = services(**TOKEN_POLICY)
    value = await issue(svc, max_uses=2)
    first = await register(flow_registration_body(), svc, initial_access_token=value)
    second = await register(flow_registration_body(), svc, initial_access_token=value)
    assert first.client.client_id != second.client.client_id
    with pytest.raises(InvalidToken, match="used up"):
        await register(flow_registration_body(), svc, initial_access_token=value)
    assert await uses(svc, value) == 2


async def test_an_expired_token_is_refused() -> None:
    svc = services(**TOKEN_POLICY)
    value = await issue(svc, max_uses=5, expires_in=600)
    advance(svc, 599)
    await register(flow_registration_body(), svc, initial_access_token=value)
    advance(svc, 1)
    with pytest.raises(InvalidToken, match="expired"):
        await register(flow_registration_body(), svc, initial_access_token=value)
    assert await uses(svc, value) == 1


async def test_a_revoked_token_is_refused() -> None:
    svc = services(**TOKEN_POLICY)
    value = await issue(svc, max_uses=5)
    found = await svc.initial_tokens.find(handle_hash(value))
    assert found is not None
    assert await svc.initial_tokens.revoke(found.token_id, svc.clock.now())
    with pytest.raises(InvalidToken, match="revoked"):
        await register(flow_registration_body(), svc, initial_access_token=value)


async def test_a_refused_registration_does_not_spend_a_use() -> None:
    svc = services(**TOKEN_POLICY)
    value = await issue(svc, max_uses=1)
    bad = flow_registration_body() | {"grant_types": ["no_such_grant"]}
    with pytest.raises(InvalidClientMetadata):
        await register(bad, svc, initial_access_token=value)
    assert await uses(svc, value) == 0
    await register(flow_registration_body(), svc, initial_access_token=value)
    assert await uses(svc, value) == 1


class YieldingScopes:
    """The scope store, giving the event loop a turn on every read: registrations running
    together then all pass the token check before any of them counts its use."""

    def __init__(self, inner: ScopeStore) -> None:
        self._inner = inner

    async def all(self) -> list[Scope]:
        await asyncio.sleep(0)
        return await self._inner.all()

    async def add(self, scope: Scope) -> None:
        await self._inner.add(scope)

    def forget(self) -> None:
        self._inner.forget()


async def test_of_registrations_racing_for_the_last_use_exactly_one_is_stored() -> None:
    plain = services(**TOKEN_POLICY)
    svc = dataclasses.replace(plain, scopes=YieldingScopes(plain.scopes))
    value = await issue(svc, max_uses=1)
    results = await asyncio.gather(
        *(register(flow_registration_body(), svc, initial_access_token=value) for _ in range(5)),
        return_exceptions=True,
    )
    stored = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(stored) == 1 and len(refused) == 4
    assert all(isinstance(r, InvalidToken) and "used up" in r.description for r in refused)
    assert await svc.clients.get(stored[0].client.client_id) is not None
    assert await uses(svc, value) == 1
