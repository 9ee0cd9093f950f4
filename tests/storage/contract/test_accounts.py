"""AccountStore: a user's approved apps (with their clients' names), revoking one with its
tokens in one write, the user's live sessions, one by ``sid``, and their last use."""

from __future__ import annotations

import dataclasses

from authgate.core.types import AppRevocation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, client, refresh, session, token, user

UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36"


async def _approved(ports: Ports) -> None:
    await ports.users.add(user("u-1"))
    await ports.users.add(user("u-2"))
    for client_id in ("app-1", "app-2"):
        await ports.clients.add(client(client_id))
    await ports.consents.grant("u-1", "app-1", ["openid", "email"], NOW - 100)
    await ports.consents.grant("u-1", "app-2", ["openid"], NOW - 50)
    await ports.consents.grant("u-2", "app-1", ["openid"], NOW - 10)


async def test_approvals_list_the_users_consents_newest_first(ports: Ports) -> None:
    await _approved(ports)
    found = await ports.account.approvals("u-1")
    assert [(a.client_id, a.client_name, a.scope, a.granted_at) for a in found] == [
        ("app-2", "Client app-2", ("openid",), NOW - 50),
        ("app-1", "Client app-1", ("email", "openid"), NOW - 100),
    ]
    assert await ports.account.approvals("nobody") == []
    # a deleted client's consent goes with it
    assert await ports.clients.delete("app-2")
    assert [a.client_id for a in await ports.account.approvals("u-1")] == ["app-1"]


async def test_revoking_an_approval_revokes_the_clients_tokens_for_the_user(
    ports: Ports,
) -> None:
    await _approved(ports)
    mine = [token("at-1"), refresh("rt-1"), token("at-old", revoked_at=NOW - 5)]
    others = [
        token("at-u2", grant_id="grant-2", user_id="u-2"),
        token("at-app2", grant_id="grant-3", client_id="app-2"),
    ]
    await ports.grants.add_tokens([*mine, *others])
    result = await ports.account.revoke_approval("u-1", "app-1", NOW)
    assert result == AppRevocation(approval=True, tokens=2)
    assert await ports.consents.granted("u-1", "app-1") == frozenset()
    for hashed in ("at-1", "rt-1"):
        held = await ports.grants.get_token(hashed)
        assert held is not None
        assert held.revoked_at == NOW
    old = await ports.grants.get_token("at-old")
    assert old is not None
    assert old.revoked_at == NOW - 5  # already revoked: untouched
    for other in others:
        held = await ports.grants.get_token(other.token_hash)
        assert held is not None
        assert held.revoked_at is None
    assert await ports.consents.granted("u-2", "app-1") == frozenset({"openid"})
    assert await ports.consents.granted("u-1", "app-2") == frozenset({"openid"})
    # again: nothing left to revoke
    assert await ports.account.revoke_approval("u-1", "app-1", NOW) == AppRevocation(False, 0)


async def test_sessions_list_live_ones_newest_first_with_device(ports: Ports) -> None:
    older = dataclasses.replace(session("sh-1", user_agent=UA, last_used_at=int(NOW) - 30),
                                auth_time=int(NOW) - 600)  # fmt: skip
    newer = session("sh-2")
    expired = dataclasses.replace(session("sh-3"), expires_at=int(NOW) - 1)
    foreign = session("sh-4", user_id="u-2")
    for s in (older, newer, expired, foreign):
        await ports.sessions.add(s)
    assert await ports.account.sessions("u-1", NOW) == [newer, older]
    await ports.sessions.end("sh-2")
    assert await ports.account.sessions("u-1", NOW) == [older]
    assert await ports.account.session_by_sid(older.sid) == older
    assert await ports.account.session_by_sid(newer.sid) is None
    assert await ports.account.session_by_sid("unknown") is None


async def test_a_long_user_agent_is_cut_and_touch_records_the_last_use(ports: Ports) -> None:
    await ports.sessions.add(session("sh-1", user_agent="x" * 600))
    held = await ports.sessions.get("sh-1")
    assert held is not None
    assert held.user_agent == "x" * 512
    assert held.last_used_at is None
    await ports.account.touch("sh-1", NOW + 12.7)
    await ports.account.touch("unknown", NOW)
    held = await ports.sessions.get("sh-1")
    assert held is not None
    assert held.last_used_at == int(NOW + 12.7)
