"""What resource indicators (RFC 8707) and token exchange (RFC 8693) store: a code's
resources, a token's audience and actor chain, and the session an id_token's ``sid`` names,
on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses

from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, code, interaction, refresh, request, session, token

API = "https://api.example/v1"
OTHER = "urn:example:other"
ACT = {"sub": "service-1", "client_id": "svc", "act": {"sub": "u-2", "client_id": "app-2"}}


async def test_a_code_keeps_its_resources(ports: Ports) -> None:
    offered = code("c-1", resource=(API, OTHER))
    await ports.grants.add_code(offered)
    assert await ports.grants.get_code("c-1") == offered
    await ports.grants.add_code(code("c-2"))
    bare = await ports.grants.get_code("c-2")
    assert bare is not None and bare.resource == ()


async def test_tokens_keep_their_audience_and_actor_chain(ports: Ports) -> None:
    at = token("at-1", audience=(API, OTHER), act=ACT)
    rt = refresh("rt-1", audience=(API,))
    plain = token("at-2")
    await ports.grants.add_tokens([at, rt, plain])
    assert await ports.grants.get_token("at-1") == at
    assert await ports.grants.get_token("rt-1") == rt
    read = await ports.grants.get_token("at-2")
    assert read == plain and read.audience == () and read.act is None


async def test_a_redeemed_code_stores_narrowed_tokens(ports: Ports) -> None:
    await ports.grants.add_code(code("c-1", resource=(API, OTHER)))
    issued = [token("at-1", "grant-c-1", audience=(OTHER,)), refresh("rt-1", "grant-c-1")]
    issued[1] = dataclasses.replace(issued[1], audience=(API, OTHER))
    assert await ports.grants.redeem_code("c-1", NOW + 1, issued)
    for t in issued:
        assert await ports.grants.get_token(t.token_hash) == t


async def test_an_interaction_keeps_the_requests_resources(ports: Ports) -> None:
    ix = interaction("ix-1", request=dataclasses.replace(request(), resource=(API, OTHER)))
    await ports.interactions.add(ix)
    assert await ports.interactions.get("ix-1") == ix


async def test_a_session_is_found_by_its_sid_until_it_ends(ports: Ports) -> None:
    stored = session("sh-1", sid="sid-9")
    await ports.sessions.add(stored)
    assert await ports.sessions.by_sid("sid-9") == stored
    assert await ports.sessions.by_sid("sid-8") is None
    await ports.sessions.end("sh-1")
    assert await ports.sessions.by_sid("sid-9") is None
