"""FederationStore: providers round-trip with their settings; a link is unique per upstream
identity and goes with its provider or user; a pending sign-in is taken once, before it
expires, on every instance; provisioning writes the user and its link together or not at all."""

from __future__ import annotations

import asyncio

import pytest

from authgate.admin_records import AuditEntry
from authgate.core.federation.model import FederatedIdentity, PendingSignIn, Provider
from authgate.errors import AlreadyExists
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, user


def audit(action: str = "provider.add") -> AuditEntry:
    return AuditEntry("cli:test", action, "federation_provider", "corp", NOW, None, {})


def provider(alias: str = "corp", **fields: object) -> Provider:
    values: dict[str, object] = {
        "alias": alias,
        "kind": "oidc",
        "client_id": "authgate-downstream",
        "issuer": "https://idp.example.com",
        "client_secret_sealed": "sealed-box",
        "scopes": ("openid", "email"),
        "display_name": "Corp SSO",
        "icon": "data:image/png;base64,AAAA",
        "domains": ("corp.example",),
        "mapping": {"preferred_username": "upn"},
        "trust_email": True,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Provider(**values)  # type: ignore[arg-type]


def pending(key: str = "state-hash", expires_at: float = NOW + 600) -> PendingSignIn:
    return PendingSignIn(
        key=key,
        alias="corp",
        interaction_id="ix-1",
        browser_hash="bh",
        expires_at=expires_at,
        nonce="n",
        verifier="v" * 64,
    )


def identity(subject: str = "up-1", user_id: str = "u-1") -> FederatedIdentity:
    return FederatedIdentity("corp", subject, user_id, NOW, None, "ann@corp.example")


async def test_a_provider_is_read_back_as_stored(ports: Ports) -> None:
    stored = provider()
    await ports.federation.add_provider(stored, audit())
    assert await ports.federation.provider("corp") == stored
    assert await ports.peer().federation.providers() == [stored]
    with pytest.raises(AlreadyExists):
        await ports.federation.add_provider(provider(display_name="Other"), audit())
    changed = provider(enabled=False, scopes=("openid",), updated_at=NOW + 5)
    assert await ports.federation.replace_provider(changed, audit("provider.update"))
    assert await ports.federation.provider("corp") == changed
    assert not await ports.federation.replace_provider(provider("nope"), audit())


async def test_links_are_unique_and_go_with_their_provider(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.users.add(user("u-2"))
    await ports.federation.add_provider(provider(), audit())
    assert await ports.federation.link(identity())
    assert not await ports.federation.link(identity(user_id="u-2"))  # taken
    assert (await ports.federation.identity("corp", "up-1")) == identity()
    await ports.federation.touch("corp", "up-1", NOW + 10)
    found = await ports.federation.identity("corp", "up-1")
    assert found is not None and found.last_used_at == NOW + 10
    assert await ports.federation.link(identity("up-2", "u-2"))
    assert [i.subject for i in await ports.federation.identities(user_id="u-2")] == ["up-2"]
    assert len(await ports.federation.identities(alias="corp")) == 2
    assert not await ports.federation.unlink("corp", "up-2", user_id="u-1")  # not u-1's
    assert await ports.federation.unlink("corp", "up-2", user_id="u-2")
    assert await ports.federation.delete_provider("corp", audit("provider.remove"))
    assert await ports.federation.identity("corp", "up-1") is None
    assert not await ports.federation.delete_provider("corp", audit("provider.remove"))


async def test_a_link_needs_its_user_and_provider(ports: Ports) -> None:
    await ports.federation.add_provider(provider(), audit())
    assert not await ports.federation.link(identity(user_id="nobody"))
    assert await ports.federation.identities() == []


async def test_a_pending_sign_in_is_taken_once(ports: Ports) -> None:
    await ports.federation.add_pending(pending())
    taken = await asyncio.gather(
        ports.federation.take_pending("state-hash", NOW),
        ports.peer().federation.take_pending("state-hash", NOW),
    )
    assert [t for t in taken if t is not None] == [pending()]
    assert await ports.federation.take_pending("state-hash", NOW) is None


async def test_a_peek_leaves_the_pending_sign_in(ports: Ports) -> None:
    await ports.federation.add_pending(pending())
    assert await ports.federation.peek_pending("state-hash", NOW) == pending()
    assert await ports.peer().federation.peek_pending("state-hash", NOW + 600) is None  # expired
    assert await ports.federation.take_pending("state-hash", NOW) == pending()
    assert await ports.federation.peek_pending("state-hash", NOW) is None


async def test_an_expired_pending_sign_in_is_not_given(ports: Ports) -> None:
    await ports.federation.add_pending(pending(expires_at=NOW + 1))
    assert await ports.federation.take_pending("state-hash", NOW + 1) is None
    assert await ports.federation.take_pending("state-hash", NOW) is None  # gone too


async def test_provisioning_writes_user_and_link_together(ports: Ports) -> None:
    await ports.federation.add_provider(provider(), audit())
    await ports.users.add(user("u-1", username="ann"))
    taken_name = user("u-9", username="ann")
    assert not await ports.federation.provision(taken_name, identity(user_id="u-9"))
    assert await ports.users.get("u-9") is None
    assert await ports.federation.identity("corp", "up-1") is None
    fresh = user("u-2", username="ann@corp", email="Ann@Corp.Example")
    assert await ports.federation.provision(fresh, identity(user_id="u-2"))
    assert await ports.users.get("u-2") == fresh
    assert await ports.federation.user_by_email("ann@corp.example") == fresh


async def test_an_email_shared_by_two_users_finds_none(ports: Ports) -> None:
    await ports.users.add(user("u-1", email="same@example.com"))
    await ports.users.add(user("u-2", email="same@example.com"))
    assert await ports.federation.user_by_email("same@example.com") is None
    assert await ports.federation.user_by_email("other@example.com") is None
