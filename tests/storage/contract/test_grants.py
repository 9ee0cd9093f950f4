"""GrantStore: codes, their single-use redemption, tokens, refresh rotation and revocation.

Every guarded write that fails (returns False or raises) must leave nothing behind: each
such test reads the tokens it offered and finds none.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from authgate.core.types import TokenRecord
from authgate.storage.engine import IntegrityViolation
from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import NOW, code, refresh, token


async def _absent(ports: Ports, *hashes: str) -> None:
    for h in hashes:
        assert await ports.grants.get_token(h) is None, h


# --- codes --------------------------------------------------------------------------------


async def test_a_code_reads_back_unconsumed(ports: Ports) -> None:
    offered = code("c-1", consumed_at=NOW - 1, dpop_jkt="jkt-1", redirect_uri_given=False)
    await ports.grants.add_code(offered)
    assert await ports.grants.get_code("c-1") == dataclasses.replace(offered, consumed_at=None)
    assert await ports.grants.get_code("c-2") is None


async def test_a_code_with_optional_values_unset_reads_back(ports: Ports) -> None:
    bare = code("c-1", nonce=None, code_challenge=None, code_challenge_method=None, amr=())
    await ports.grants.add_code(bare)
    assert await ports.grants.get_code("c-1") == bare


async def test_a_claims_request_reads_back_with_the_code_and_its_tokens(ports: Ports) -> None:
    """The claims parameter (OIDC Core §5.5) travels with the code to the tokens."""
    claims = '{"id_token":{"email":{"essential":true}},"userinfo":{"name":null}}'
    offered = code("c-1", claims=claims)
    at = token("at-1", "grant-c-1", claims=claims)
    await ports.grants.add_code(offered, [at])
    assert (await ports.grants.get_code("c-1")) == offered
    assert (await ports.grants.get_token("at-1")) == at
    rt = refresh("rt-1", "grant-c-1", claims=claims)
    await ports.grants.add_tokens([rt])
    stored = await ports.grants.get_token("rt-1")
    assert stored is not None and stored.claims == claims


async def test_a_hybrid_code_stores_its_tokens(ports: Ports) -> None:
    at = token("at-1", "grant-c-1")
    await ports.grants.add_code(code("c-1"), [at])
    assert await ports.grants.get_token("at-1") == at
    assert await ports.grants.session_clients("sid-1") == {"app-1"}


async def test_a_taken_code_hash_is_refused_with_its_tokens(ports: Ports) -> None:
    first = code("c-1")
    await ports.grants.add_code(first)
    with pytest.raises(IntegrityViolation):
        await ports.grants.add_code(
            code("c-1", client_id="app-2", sid="sid-2"), [token("at-2", client_id="app-2")]
        )
    assert await ports.grants.get_code("c-1") == first
    await _absent(ports, "at-2")
    assert await ports.grants.session_clients("sid-2") == frozenset()


async def test_a_taken_token_hash_refuses_the_code(ports: Ports) -> None:
    held = token("at-1")
    await ports.grants.add_tokens([held])
    clash = token("at-1", "grant-c-2", client_id="app-2", sid="sid-2")
    with pytest.raises(IntegrityViolation):
        await ports.grants.add_code(code("c-2", client_id="app-2", sid="sid-2"), [clash])
    assert await ports.grants.get_code("c-2") is None
    assert await ports.grants.get_token("at-1") == held
    assert await ports.grants.session_clients("sid-2") == frozenset()


async def test_a_code_is_redeemed_once(ports: Ports) -> None:
    await ports.grants.add_code(code("c-1"))
    issued = [token("at-1", "grant-c-1"), refresh("rt-1", "grant-c-1")]
    assert await ports.grants.redeem_code("c-1", NOW + 5, issued) is True
    redeemed = await ports.grants.get_code("c-1")
    assert redeemed is not None and redeemed.consumed_at == NOW + 5
    for t in issued:
        assert await ports.grants.get_token(t.token_hash) == t

    again = [token("at-2", "grant-c-1"), refresh("rt-2", "grant-c-1")]
    assert await ports.grants.redeem_code("c-1", NOW + 6, again) is False
    await _absent(ports, "at-2", "rt-2")
    still = await ports.grants.get_code("c-1")
    assert still is not None and still.consumed_at == NOW + 5


async def test_an_unknown_code_is_not_redeemed(ports: Ports) -> None:
    assert await ports.grants.redeem_code("c-9", NOW, [token("at-1")]) is False
    await _absent(ports, "at-1")
    assert await ports.grants.get_code("c-9") is None


async def test_of_concurrent_redeemers_exactly_one_wins(ports: Ports) -> None:
    await ports.grants.add_code(code("c-1"))
    n = 8
    offers = [[token(f"at-{i}", "grant-c-1"), refresh(f"rt-{i}", "grant-c-1")] for i in range(n)]
    results = await asyncio.gather(
        *(ports.grants.redeem_code("c-1", NOW + i, offers[i]) for i in range(n))
    )
    assert results.count(True) == 1
    winner = results.index(True)
    redeemed = await ports.grants.get_code("c-1")
    assert redeemed is not None and redeemed.consumed_at == NOW + winner
    for i, offer in enumerate(offers):
        for t in offer:
            stored = await ports.grants.get_token(t.token_hash)
            assert stored == (t if i == winner else None), t.token_hash


async def test_a_redemption_whose_token_clashes_stores_nothing(ports: Ports) -> None:
    await ports.grants.add_tokens([token("at-held", "grant-0")])
    await ports.grants.add_code(code("c-1"))
    offer = [refresh("rt-1", "grant-c-1"), token("at-held", "grant-c-1")]
    with pytest.raises(IntegrityViolation):
        await ports.grants.redeem_code("c-1", NOW + 1, offer)
    await _absent(ports, "rt-1")
    pending = await ports.grants.get_code("c-1")
    assert pending is not None and pending.consumed_at is None
    # the code is still good for a redemption that does not clash
    assert await ports.grants.redeem_code("c-1", NOW + 2, [refresh("rt-1", "grant-c-1")])


# --- tokens -------------------------------------------------------------------------------


async def test_tokens_read_back_as_stored(ports: Ports) -> None:
    full = refresh(
        "rt-1",
        jkt="thumbprint",
        successor="sealed-successor",
        used_at=NOW - 5,
        revoked_at=NOW - 1,
        amr=("pwd", "otp"),
        expires_at=NOW + 0.25,
    )
    machine = token(
        "at-cc",
        "grant-cc",
        user_id=None,
        auth_time=None,
        sid=None,
        acr=None,
        amr=(),
        scope=("api.read",),
    )
    await ports.grants.add_tokens([full, machine])
    assert await ports.grants.get_token("rt-1") == full
    assert await ports.grants.get_token("at-cc") == machine
    assert await ports.grants.get_token("at-9") is None


async def test_adding_no_tokens_is_a_no_op(ports: Ports) -> None:
    await ports.grants.add_tokens([])
    await _absent(ports, "at-1")


async def test_a_batch_with_a_taken_token_hash_stores_nothing(ports: Ports) -> None:
    held = token("at-1")
    await ports.grants.add_tokens([held])
    with pytest.raises(IntegrityViolation):
        await ports.grants.add_tokens([token("at-2", sid="sid-2"), token("at-1", sid="sid-2")])
    await _absent(ports, "at-2")
    assert await ports.grants.get_token("at-1") == held
    with pytest.raises(IntegrityViolation):
        await ports.grants.add_tokens([token("at-3"), token("at-3")])
    await _absent(ports, "at-3")


# --- refresh tokens -----------------------------------------------------------------------


async def test_a_refresh_token_rotates_once(ports: Ports) -> None:
    rt = refresh("rt-1")
    await ports.grants.add_tokens([rt])
    successors = [token("at-2"), refresh("rt-2")]
    assert await ports.grants.rotate_refresh_token("rt-1", NOW + 10, successors, "sealed") is True
    assert await ports.grants.get_token("rt-1") == dataclasses.replace(
        rt, used_at=NOW + 10, successor="sealed"
    )
    for t in successors:
        assert await ports.grants.get_token(t.token_hash) == t

    late = [token("at-3"), refresh("rt-3")]
    assert await ports.grants.rotate_refresh_token("rt-1", NOW + 11, late, "other") is False
    await _absent(ports, "at-3", "rt-3")
    used = await ports.grants.get_token("rt-1")
    assert used is not None and (used.used_at, used.successor) == (NOW + 10, "sealed")
    # the successor rotates in its turn; no successor value is stored when none is given
    assert await ports.grants.rotate_refresh_token("rt-2", NOW + 20, [refresh("rt-4")]) is True
    second = await ports.grants.get_token("rt-2")
    assert second is not None and (second.used_at, second.successor) == (NOW + 20, None)


async def test_a_revoked_or_unknown_refresh_token_does_not_rotate(ports: Ports) -> None:
    await ports.grants.add_tokens([refresh("rt-1", revoked_at=NOW - 1)])
    assert await ports.grants.rotate_refresh_token("rt-1", NOW, [refresh("rt-2")], "s") is False
    assert await ports.grants.rotate_refresh_token("rt-9", NOW, [refresh("rt-3")], "s") is False
    await _absent(ports, "rt-2", "rt-3", "rt-9")
    revoked = await ports.grants.get_token("rt-1")
    assert revoked is not None and (revoked.used_at, revoked.successor) == (None, None)


async def test_of_concurrent_rotations_exactly_one_wins(ports: Ports) -> None:
    await ports.grants.add_tokens([refresh("rt-0")])
    n = 6
    offers = [[token(f"at-{i}"), refresh(f"rt-{i + 1}")] for i in range(n)]
    results = await asyncio.gather(
        *(
            ports.grants.rotate_refresh_token("rt-0", NOW + i, offers[i], f"sealed-{i}")
            for i in range(n)
        )
    )
    assert results.count(True) == 1
    winner = results.index(True)
    used = await ports.grants.get_token("rt-0")
    assert used is not None
    assert (used.used_at, used.successor) == (NOW + winner, f"sealed-{winner}")
    for i, offer in enumerate(offers):
        for t in offer:
            assert await ports.grants.get_token(t.token_hash) == (t if i == winner else None)


async def test_extend_moves_the_expiry_and_stores_the_new_tokens(ports: Ports) -> None:
    rt = refresh("rt-1", expires_at=NOW + 100)
    await ports.grants.add_tokens([rt])
    assert await ports.grants.extend_refresh_token("rt-1", NOW, NOW + 1000, [token("at-2")])
    assert await ports.grants.get_token("rt-1") == dataclasses.replace(rt, expires_at=NOW + 1000)
    assert await ports.grants.get_token("at-2") == token("at-2")
    # not single use: the same token extends again
    assert await ports.grants.extend_refresh_token("rt-1", NOW + 1, NOW + 2000, [])
    extended = await ports.grants.get_token("rt-1")
    assert extended is not None and extended.expires_at == NOW + 2000


@pytest.mark.parametrize(
    "state",
    [
        {"used_at": NOW - 1},
        {"revoked_at": NOW - 1},
        {"expires_at": NOW},
        {"expires_at": NOW - 1},
    ],
    ids=["used", "revoked", "expires-now", "expired"],
)
async def test_extend_refuses_a_used_revoked_or_expired_token(
    ports: Ports, state: dict[str, Any]
) -> None:
    rt = refresh("rt-1", **state)
    await ports.grants.add_tokens([rt])
    assert (
        await ports.grants.extend_refresh_token("rt-1", NOW, NOW + 1000, [token("at-2")]) is False
    )
    assert await ports.grants.get_token("rt-1") == rt
    await _absent(ports, "at-2")


async def test_extend_refuses_an_unknown_token(ports: Ports) -> None:
    assert (
        await ports.grants.extend_refresh_token("rt-9", NOW, NOW + 1000, [token("at-2")]) is False
    )
    await _absent(ports, "at-2", "rt-9")


# --- revocation ---------------------------------------------------------------------------


async def test_a_token_is_revoked_once(ports: Ports) -> None:
    at, other = token("at-1"), token("at-2")
    await ports.grants.add_tokens([at, other])
    assert await ports.grants.revoke_token("at-1", NOW + 1) is True
    assert await ports.grants.revoke_token("at-1", NOW + 2) is False
    assert await ports.grants.revoke_token("at-9", NOW) is False
    assert await ports.grants.get_token("at-1") == dataclasses.replace(at, revoked_at=NOW + 1)
    assert await ports.grants.get_token("at-2") == other
    await _absent(ports, "at-9")


async def test_a_rotated_refresh_token_can_still_be_revoked(ports: Ports) -> None:
    await ports.grants.add_tokens([refresh("rt-1")])
    assert await ports.grants.rotate_refresh_token("rt-1", NOW, [refresh("rt-2")], "s")
    assert await ports.grants.revoke_token("rt-1", NOW + 1) is True
    revoked = await ports.grants.get_token("rt-1")
    assert revoked is not None and (revoked.used_at, revoked.revoked_at) == (NOW, NOW + 1)


async def test_revoke_grant_counts_the_tokens_it_revoked(ports: Ports) -> None:
    earlier = token("at-0", "grant-1", revoked_at=NOW - 10)
    live = [token("at-1", "grant-1"), refresh("rt-1", "grant-1", sid=None)]
    bystander = token("at-2", "grant-2")
    await ports.grants.add_tokens([earlier, *live, bystander])
    assert await ports.grants.revoke_grant("grant-1", NOW) == 2
    for t in live:
        assert await ports.grants.get_token(t.token_hash) == dataclasses.replace(t, revoked_at=NOW)
    assert await ports.grants.get_token("at-0") == earlier  # keeps when it was revoked
    assert await ports.grants.get_token("at-2") == bystander
    assert await ports.grants.revoke_grant("grant-1", NOW + 1) == 0
    assert await ports.grants.revoke_grant("grant-9", NOW) == 0


# --- login sessions -----------------------------------------------------------------------


async def test_session_clients_come_from_codes_and_tokens(ports: Ports) -> None:
    await ports.grants.add_code(code("c-1", client_id="app-1", sid="sid-1"))
    await ports.grants.add_code(code("c-2", client_id="app-1", sid="sid-1"))  # same pair again
    await ports.grants.add_tokens([token("at-2", client_id="app-2", sid="sid-1")])
    await ports.grants.add_tokens([token("at-3", client_id="app-3", sid=None)])
    await ports.grants.add_code(code("c-4", client_id="app-4", sid="sid-2"))
    assert await ports.grants.session_clients("sid-1") == {"app-1", "app-2"}
    assert await ports.grants.session_clients("sid-2") == {"app-4"}
    assert await ports.grants.session_clients("sid-9") == frozenset()
    # a client stays part of the session after its tokens are revoked
    await ports.grants.revoke_token("at-2", NOW)
    assert await ports.grants.session_clients("sid-1") == {"app-1", "app-2"}


async def test_has_user_tokens_counts_tokens_issued_for_a_user(ports: Ports) -> None:
    await ports.grants.add_code(code("c-1", client_id="app-1"))  # a code alone is no token
    await ports.grants.add_tokens([token("cc-1", client_id="app-2", user_id=None, sid=None)])
    await ports.grants.add_tokens([token("at-3", client_id="app-3")])
    assert not await ports.grants.has_user_tokens("app-1")
    assert not await ports.grants.has_user_tokens("app-2")  # client_credentials only
    assert await ports.grants.has_user_tokens("app-3")
    await ports.grants.revoke_token("at-3", NOW)  # revoked still counts
    assert await ports.grants.has_user_tokens("app-3")
    assert not await ports.grants.has_user_tokens("app-9")


async def test_concurrent_codes_of_one_session_and_client_are_all_stored(ports: Ports) -> None:
    codes = [code(f"c-{i}") for i in range(6)]
    await asyncio.gather(*(ports.grants.add_code(c) for c in codes))
    for c in codes:
        assert await ports.grants.get_code(c.code_hash) == c
    assert await ports.grants.session_clients("sid-1") == {"app-1"}


def _grant(name: str, sid: str | None, *scopes: tuple[str, ...]) -> list[TokenRecord]:
    """One token per scope tuple, all of grant ``name`` in session ``sid``."""
    return [token(f"{name}-t{i}", name, sid=sid, scope=s) for i, s in enumerate(scopes)]


async def test_revoke_session_spares_the_grants_holding_the_kept_scope(ports: Ports) -> None:
    offline = ("openid", "offline_access")
    kept = _grant("g-kept", "sid-1", ("openid",), offline)
    plain = _grant("g-plain", "sid-1", ("openid",), ("openid", "email"))
    # a grant's tokens outside the session go with it, and do not keep it
    mixed = [
        token("g-mixed-t0", "g-mixed", sid="sid-1", scope=("openid",)),
        token("g-mixed-t1", "g-mixed", sid=None, scope=offline),
    ]
    lookalike = _grant("g-lookalike", "sid-1", ("openid", "offline_access_extra"))
    # a grant whose only token with the kept scope is already revoked is not kept
    spent = _grant("g-spent", "sid-1", ("openid",))
    spent.append(token("g-spent-rt", "g-spent", sid="sid-1", scope=offline, revoked_at=NOW - 1))
    dead = [token("g-dead-t0", "g-dead", sid="sid-1", revoked_at=NOW - 1)]
    elsewhere = _grant("g-elsewhere", "sid-2", ("openid",))
    everything = [*kept, *plain, *mixed, *lookalike, *spent, *dead, *elsewhere]
    await ports.grants.add_tokens(everything)

    assert await ports.grants.revoke_session("sid-1", NOW, "offline_access") == 4

    revoked = {"g-plain", "g-mixed", "g-lookalike", "g-spent"}
    for t in everything:
        stored = await ports.grants.get_token(t.token_hash)
        newly = t.grant_id in revoked and t.revoked_at is None
        expected = dataclasses.replace(t, revoked_at=NOW) if newly else t
        assert stored == expected, t.token_hash
    assert await ports.grants.revoke_session("sid-1", NOW + 1, "offline_access") == 0
    assert await ports.grants.revoke_session("sid-9", NOW, "offline_access") == 0


async def test_a_code_redeemed_by_another_instance_reads_back_consumed(ports: Ports) -> None:
    """An instance may answer once from its copy of a code it issued (unused by then); the
    guarded redemption decides single use, and the next read is the stored code."""
    await ports.grants.add_code(code("c-1"))
    assert await ports.peer().grants.redeem_code("c-1", NOW, [])
    assert not await ports.grants.redeem_code("c-1", NOW + 1, [])
    first = await ports.grants.get_code("c-1")
    assert first is not None and first.consumed_at in (None, NOW)
    again = await ports.grants.get_code("c-1")
    assert again is not None and again.consumed_at == NOW
