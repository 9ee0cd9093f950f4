"""SessionStore (with ``state``), InteractionStore (single-use delete) and ConsentStore."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from authgate.core.types import SessionState
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, client, interaction, session, user


async def test_a_session_reads_back_until_it_ends(ports: Ports) -> None:
    stored = session("sh-1")
    await ports.sessions.add(stored)
    assert await ports.sessions.get("sh-1") == stored
    assert await ports.sessions.get("sh-2") is None
    await ports.sessions.end("sh-1")
    assert await ports.sessions.get("sh-1") is None
    assert await ports.sessions.state("sh-1", "app-1") is None
    await ports.sessions.end("sh-1")  # ending it again, or an unknown one, is no error
    await ports.sessions.end("never")


async def test_a_taken_session_hash_or_sid_is_refused(ports: Ports) -> None:
    first = session("sh-1", sid="sid-1")
    await ports.sessions.add(first)
    with pytest.raises(IntegrityViolation):
        await ports.sessions.add(session("sh-1", sid="sid-2"))
    with pytest.raises(IntegrityViolation):
        await ports.sessions.add(session("sh-2", sid="sid-1"))
    assert await ports.sessions.get("sh-1") == first
    assert await ports.sessions.get("sh-2") is None
    # once the first session has ended its sid may be used again
    await ports.sessions.end("sh-1")
    await ports.sessions.add(session("sh-2", sid="sid-1"))
    assert await ports.sessions.get("sh-2") == session("sh-2", sid="sid-1")


async def test_state_reads_the_session_its_user_and_that_clients_consent(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.clients.add(client("app-1"))
    await ports.clients.add(client("app-2"))
    await ports.sessions.add(session("sh-1", "u-1"))
    await ports.consents.grant("u-1", "app-1", ["openid", "email"], NOW)

    assert await ports.sessions.state("sh-1", "app-1") == SessionState(
        session=session("sh-1", "u-1"),
        client_id="app-1",
        user_enabled=True,
        consented=frozenset({"openid", "email"}),
    )
    other = await ports.sessions.state("sh-1", "app-2")
    assert other is not None
    assert (other.client_id, other.consented) == ("app-2", frozenset())
    # a client that does not exist simply has no consent
    gone = await ports.sessions.state("sh-1", "no-such-client")
    assert gone is not None and gone.consented == frozenset() and gone.user_enabled
    assert await ports.sessions.state("sh-2", "app-1") is None


async def test_state_reads_another_users_consent_as_none(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.users.add(user("u-2"))
    await ports.clients.add(client("app-1"))
    await ports.sessions.add(session("sh-1", "u-1"))
    await ports.consents.grant("u-2", "app-1", ["openid"], NOW)
    state = await ports.sessions.state("sh-1", "app-1")
    assert state is not None and state.consented == frozenset()


async def test_state_of_a_disabled_or_missing_user_is_not_enabled(ports: Ports) -> None:
    await ports.users.add(user("u-off", enabled=False))
    await ports.sessions.add(session("sh-off", "u-off"))
    await ports.sessions.add(session("sh-ghost", "u-ghost"))
    off = await ports.sessions.state("sh-off", "app-1")
    ghost = await ports.sessions.state("sh-ghost", "app-1")
    assert off is not None and off.user_enabled is False
    assert ghost is not None and ghost.user_enabled is False
    assert ghost.session == session("sh-ghost", "u-ghost")


async def test_an_interaction_reads_back_as_stored(ports: Ports) -> None:
    stored = interaction("ix-1")
    await ports.interactions.add(stored)
    assert await ports.interactions.get("ix-1") == stored
    assert await ports.interactions.get("ix-2") is None
    with pytest.raises(IntegrityViolation):
        await ports.interactions.add(interaction("ix-1", csrf_token="other"))
    assert await ports.interactions.get("ix-1") == stored


async def test_replace_updates_a_known_interaction_only(ports: Ports) -> None:
    await ports.interactions.add(interaction("ix-1"))
    done = interaction("ix-1", user_id="u-1", session_hash="sh-1", login_done=True)
    await ports.interactions.replace(done)
    assert await ports.interactions.get("ix-1") == done
    await ports.interactions.replace(interaction("ix-2", login_done=True))
    assert await ports.interactions.get("ix-2") is None


async def test_an_interaction_is_deleted_once(ports: Ports) -> None:
    await ports.interactions.add(interaction("ix-1"))
    await ports.interactions.add(interaction("ix-2"))
    assert await ports.interactions.delete("ix-1") is True
    assert await ports.interactions.delete("ix-1") is False
    assert await ports.interactions.delete("ix-3") is False
    assert await ports.interactions.get("ix-1") is None
    assert await ports.interactions.get("ix-2") == interaction("ix-2")


async def test_of_concurrent_deletes_exactly_one_wins(ports: Ports) -> None:
    await ports.interactions.add(interaction("ix-1"))
    results = await asyncio.gather(*(ports.interactions.delete("ix-1") for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert await ports.interactions.get("ix-1") is None


async def test_consent_accumulates_per_user_and_client(ports: Ports) -> None:
    await ports.clients.add(client("app-1"))
    await ports.clients.add(client("app-2"))
    assert await ports.consents.granted("u-1", "app-1") == frozenset()
    await ports.consents.grant("u-1", "app-1", ["openid", "email"], NOW)
    await ports.consents.grant("u-1", "app-1", ["email", "profile"], NOW + 1)
    await ports.consents.grant("u-1", "app-2", ["address"], NOW)
    await ports.consents.grant("u-2", "app-1", ["phone"], NOW)
    assert await ports.consents.granted("u-1", "app-1") == {"openid", "email", "profile"}
    assert await ports.consents.granted("u-1", "app-2") == {"address"}
    assert await ports.consents.granted("u-2", "app-1") == {"phone"}
    assert await ports.consents.granted("u-2", "app-2") == frozenset()


async def test_granting_nothing_new_keeps_the_consent(ports: Ports) -> None:
    await ports.clients.add(client("app-1"))
    await ports.consents.grant("u-1", "app-1", ["openid"], NOW)
    await ports.consents.grant("u-1", "app-1", [], NOW + 1)
    await ports.consents.grant("u-1", "app-1", ["openid"], NOW + 2)
    assert await ports.consents.granted("u-1", "app-1") == {"openid"}


async def test_a_first_grant_of_nothing_reads_as_no_consent(ports: Ports) -> None:
    await ports.clients.add(client("app-1"))
    await ports.sessions.add(session("sh-1", "u-1"))
    await ports.consents.grant("u-1", "app-1", [], NOW)
    assert await ports.consents.granted("u-1", "app-1") == frozenset()
    state = await ports.sessions.state("sh-1", "app-1")
    assert state is not None and state.consented == frozenset()
    await ports.consents.grant("u-1", "app-1", ["openid"], NOW + 1)
    assert await ports.consents.granted("u-1", "app-1") == {"openid"}


async def test_concurrent_grants_all_land(ports: Ports) -> None:
    await ports.clients.add(client("app-1"))
    scopes = [f"scope-{i}" for i in range(6)]
    await asyncio.gather(*(ports.consents.grant("u-1", "app-1", [s], NOW) for s in scopes))
    assert await ports.consents.granted("u-1", "app-1") == frozenset(scopes)


async def test_a_peer_sees_the_session_and_the_consent(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.clients.add(client("app-1"))
    await ports.sessions.add(session("sh-1", "u-1"))
    await ports.consents.grant("u-1", "app-1", ["openid"], NOW)
    peer = ports.peer()
    state = await peer.sessions.state("sh-1", "app-1")
    assert state is not None
    assert (state.user_enabled, state.consented) == (True, frozenset({"openid"}))
    await peer.sessions.end("sh-1")
    assert await ports.sessions.get("sh-1") is None


async def test_elevate_moves_a_live_session_to_a_new_hash_once(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    base = session("sh-1", "u-1", sid="sid-1")
    await ports.sessions.add(base)
    stronger = dataclasses.replace(
        base, session_hash="sh-2", acr="mfa", amr=("pwd", "otp", "mfa"), auth_time=int(NOW)
    )
    results = await asyncio.gather(
        ports.sessions.elevate("sh-1", stronger),
        ports.peer().sessions.elevate("sh-1", dataclasses.replace(stronger, session_hash="sh-3")),
    )
    assert sorted(results) == [False, True]
    winner = "sh-2" if results[0] else "sh-3"
    assert await ports.sessions.get("sh-1") is None
    assert await ports.sessions.get(winner) == dataclasses.replace(stronger, session_hash=winner)
    state = await ports.sessions.state(winner, "app-1")
    assert state is not None and state.session.acr == "mfa"
    # an ended session, an unknown one, or another sid is not elevated
    unknown = dataclasses.replace(stronger, session_hash="x")
    assert not await ports.sessions.elevate("never", unknown)
    other_sid = dataclasses.replace(stronger, session_hash="sh-4", sid="sid-other")
    assert not await ports.sessions.elevate(winner, other_sid)
    await ports.sessions.end(winner)
    final = dataclasses.replace(stronger, session_hash="sh-5")
    assert not await ports.sessions.elevate(winner, final)
    assert await ports.sessions.get("sh-5") is None
