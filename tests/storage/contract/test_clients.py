"""ClientStore: add, get, replace, delete and the custom-attribute search."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.types import ATTRIBUTE_NAME_MAX, ATTRIBUTE_VALUE_MAX, CLIENT_NAME_MAX, Client
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, client, user


#: ``clients.client_name`` is ``VARCHAR(255)`` and ``client_attributes.value``
#: ``VARCHAR(1024)``: PostgreSQL refuses a longer value with a driver error (not an
#: IntegrityViolation), SQLite stores it whole. Registration bounds neither.
def _with_attributes(c: Client, **attributes: str) -> Client:
    return dataclasses.replace(
        c, metadata=dataclasses.replace(c.metadata, custom_attributes=attributes)
    )


async def test_a_client_reads_back_as_stored(ports: Ports) -> None:
    stored = dataclasses.replace(
        _with_attributes(client("app-1"), tenant="acme"),
        client_secret_expires_at=int(NOW) + 86_400,
        registration_token_hash="cd" * 32,
        expires_at=int(NOW) + 7 * 86_400,
        disabled=True,
    )
    stored = dataclasses.replace(
        stored,
        metadata=dataclasses.replace(
            stored.metadata,
            grant_types=("authorization_code", "refresh_token"),
            jwks={"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}]},
            default_max_age=300,
            require_pkce=True,
        ),
    )
    await ports.clients.add(stored)
    assert await ports.clients.get("app-1") == stored
    assert await ports.clients.get("app-2") is None


async def test_a_taken_client_id_is_refused_and_the_first_client_stays(ports: Ports) -> None:
    first = client("app-1")
    await ports.clients.add(first)
    with pytest.raises(IntegrityViolation):
        await ports.clients.add(client("app-1", client_name="Impostor"))
    assert await ports.clients.get("app-1") == first


async def test_replace_overwrites_a_known_client_only(ports: Ports) -> None:
    await ports.clients.add(client("app-1"))
    changed = dataclasses.replace(client("app-1", client_name="Renamed"), disabled=True)
    assert await ports.clients.replace(changed) is True
    assert await ports.clients.get("app-1") == changed

    assert await ports.clients.replace(client("ghost")) is False
    assert await ports.clients.get("ghost") is None


async def test_replace_of_an_unknown_client_stores_no_attributes(ports: Ports) -> None:
    assert await ports.clients.replace(_with_attributes(client("ghost"), tenant="acme")) is False
    assert await ports.clients.find_by_attributes({"tenant": "acme"}) == []


async def test_delete_removes_the_client_once(ports: Ports) -> None:
    await ports.clients.add(_with_attributes(client("app-1"), tenant="acme"))
    assert await ports.clients.delete("app-1") is True
    assert await ports.clients.get("app-1") is None
    assert await ports.clients.find_by_attributes({"tenant": "acme"}) == []
    assert await ports.clients.delete("app-1") is False
    # the client_id is free again
    await ports.clients.add(client("app-1"))
    assert await ports.clients.get("app-1") == client("app-1")


async def test_delete_removes_the_clients_consents(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.clients.add(client("app-1"))
    await ports.clients.add(client("app-2"))
    await ports.consents.grant("u-1", "app-1", ["openid"], NOW)
    await ports.consents.grant("u-1", "app-2", ["email"], NOW)
    assert await ports.clients.delete("app-1") is True
    assert await ports.consents.granted("u-1", "app-1") == frozenset()
    assert await ports.consents.granted("u-1", "app-2") == frozenset({"email"})
    # a new client under the old id starts without the old consent
    await ports.clients.add(client("app-1"))
    assert await ports.consents.granted("u-1", "app-1") == frozenset()


async def test_find_by_attributes_needs_every_pair(ports: Ports) -> None:
    a = _with_attributes(client("app-a"), tenant="acme", tier="gold")
    b = _with_attributes(client("app-b"), tenant="acme", tier="silver")
    c = _with_attributes(client("app-c"), tenant="globex", tier="gold")
    for each in (a, b, c):
        await ports.clients.add(each)

    assert await ports.clients.find_by_attributes({"tenant": "acme", "tier": "gold"}) == [a]
    assert await ports.clients.find_by_attributes({"tenant": "globex"}) == [c]
    assert await ports.clients.find_by_attributes({"tenant": "initech"}) == []
    # a value is matched whole and by its own name
    assert await ports.clients.find_by_attributes({"tenant": "acm"}) == []
    assert await ports.clients.find_by_attributes({"tier": "acme"}) == []
    both = await ports.clients.find_by_attributes({"tier": "gold"})
    assert sorted(x.client_id for x in both) == ["app-a", "app-c"]


async def test_find_by_attributes_answers_at_most_two(ports: Ports) -> None:
    for i in range(4):
        await ports.clients.add(_with_attributes(client(f"app-{i}"), tenant="acme"))
    found = await ports.clients.find_by_attributes({"tenant": "acme"})
    assert len(found) == 2
    assert len({x.client_id for x in found}) == 2
    assert {x.client_id for x in found} <= {f"app-{i}" for i in range(4)}


async def test_find_by_attributes_refuses_no_pairs_and_more_than_eight(ports: Ports) -> None:
    nine = {f"n{i}": "v" for i in range(9)}
    await ports.clients.add(_with_attributes(client("app-1"), **nine))
    assert await ports.clients.find_by_attributes({}) == []
    assert await ports.clients.find_by_attributes(nine) == []
    eight = {f"n{i}": "v" for i in range(8)}
    assert [x.client_id for x in await ports.clients.find_by_attributes(eight)] == ["app-1"]


async def test_replace_replaces_the_attributes(ports: Ports) -> None:
    await ports.clients.add(_with_attributes(client("app-1"), tenant="acme", tier="gold"))
    moved = _with_attributes(client("app-1"), tenant="globex")
    assert await ports.clients.replace(moved) is True
    assert await ports.clients.find_by_attributes({"tenant": "acme"}) == []
    assert await ports.clients.find_by_attributes({"tier": "gold"}) == []
    assert await ports.clients.find_by_attributes({"tenant": "globex"}) == [moved]


@pytest.mark.parametrize(
    "long",
    [
        client("app-1", client_name="n" * CLIENT_NAME_MAX),
        _with_attributes(client("app-1"), **{"t" * ATTRIBUTE_NAME_MAX: "v" * ATTRIBUTE_VALUE_MAX}),
    ],
    ids=["client_name", "attribute"],
)
async def test_values_at_the_limits_read_back(ports: Ports, long: Client) -> None:
    """The longest values the entry points let through fit every store (longer ones are
    refused at registration and in the Config API: tests/web/test_value_limits.py)."""
    await ports.clients.add(long)
    assert await ports.clients.get("app-1") == long


async def test_origin_registered_follows_every_client_change(ports: Ports) -> None:
    """The index of registered origins (CORS on error answers, docs/security.md#cors):
    redirect URIs' origins and ``authorized_origins``, kept in step with add, replace and
    delete, whoever the client."""
    spa = "https://spa.example:8443"
    await ports.clients.add(client("app-1", authorized_origins=(spa,)))
    await ports.clients.add(client("app-2"))
    assert await ports.clients.origin_registered("https://app.example") is True
    assert await ports.clients.origin_registered(spa) is True
    assert await ports.clients.origin_registered("https://spa.example") is False
    assert await ports.clients.origin_registered("http://app.example") is False

    moved = client("app-1", redirect_uris=("https://moved.example/cb",))
    assert await ports.clients.replace(moved) is True
    assert await ports.clients.origin_registered(spa) is False
    assert await ports.clients.origin_registered("https://moved.example") is True
    assert await ports.clients.origin_registered("https://app.example") is True  # app-2's

    assert await ports.clients.delete("app-2") is True
    assert await ports.clients.origin_registered("https://app.example") is False
    assert await ports.clients.replace(client("ghost", authorized_origins=(spa,))) is False
    assert await ports.clients.origin_registered(spa) is False


async def test_an_overlong_origin_is_not_listed_and_does_not_fail(ports: Ports) -> None:
    host = "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61 + ".example"
    long_uri = f"https://{host}/cb"
    await ports.clients.add(client("app-1", redirect_uris=(long_uri, "https://ok.example/cb")))
    assert await ports.clients.get("app-1") is not None
    assert await ports.clients.origin_registered(f"https://{host}") is False
    assert await ports.clients.origin_registered("https://ok.example") is True
