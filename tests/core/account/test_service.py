"""The account services over memory stores: connected apps and their revocation (tokens at
once), ending sessions as logout does (back-channel notices), security events, last use."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.account import service
from authgate.core.account.client import ACCOUNT_CLIENT_ID, ensure_account_client
from authgate.core.security_events import EventKind
from authgate.core.tokens.endpoint import token
from authgate.crypto.handles import handle_hash
from authgate.errors import OAuthError
from tests.core.flow_support import code_tokens, issue_code, refreshing_client
from tests.memory.doubles import RecordingLogoutNotifier, RecordingSecurityEvents
from tests.memory.services import add_session, add_user, advance, double, make_services


async def test_revoking_an_app_revokes_its_consent_and_tokens() -> None:
    svc = make_services()
    client = await refreshing_client(
        svc, client_name="Photo app", scope=["openid", "offline_access"]
    )
    user = await add_user(svc)
    issued = await issue_code(svc, client, user, scope="openid offline_access")
    tokens = await code_tokens(svc, issued)
    assert await svc.consents.grant(user.user_id, client.client_id, ["openid"], svc.clock.now())
    await ensure_account_client(svc)
    await svc.consents.grant(user.user_id, ACCOUNT_CLIENT_ID, ["openid"], svc.clock.now())
    apps = await service.connected_apps(svc, user.user_id)
    assert [(a.client_id, a.client_name) for a in apps] == [(client.client_id, "Photo app")]

    result = await service.revoke_app(
        svc, user.user_id, client.client_id, by="user", source="198.51.100.7"
    )
    assert result.approval
    assert result.tokens == 2
    assert await service.connected_apps(svc, user.user_id) == []
    for value in (tokens["access_token"], tokens["refresh_token"]):
        held = await svc.grants.get_token(handle_hash(value))
        assert held is not None
        assert held.revoked_at is not None
    [event] = double(svc.events, RecordingSecurityEvents).events
    assert event.kind == EventKind.APP_REVOKED
    assert (event.client_id, event.user_id, event.source) == (
        client.client_id,
        user.user_id,
        "198.51.100.7",
    )
    assert event.detail == "revoked by the user"
    # nothing left: no event
    await service.revoke_app(svc, user.user_id, client.client_id, by="user", source=None)
    assert len(double(svc.events, RecordingSecurityEvents).events) == 1


async def test_revoke_all_apps() -> None:
    svc = make_services()
    user = await add_user(svc)
    ids = []
    for name in ("a", "b"):
        client = await refreshing_client(svc, client_name=name)
        await svc.consents.grant(user.user_id, client.client_id, ["openid"], svc.clock.now())
        ids.append(client.client_id)
    revoked = await service.revoke_all_apps(svc, user.user_id, by="administrator", source=None)
    assert sorted(revoked) == sorted(ids)
    assert await service.connected_apps(svc, user.user_id) == []
    events = double(svc.events, RecordingSecurityEvents).events
    assert {e.detail for e in events} == {"revoked by the administrator"}


async def test_ending_a_session_is_logout_with_back_channel_notices() -> None:
    svc = make_services()
    client = await refreshing_client(svc, backchannel_logout_uri=["https://rp.example/bcl"])
    user = await add_user(svc)
    issued = await issue_code(svc, client, user)
    tokens = await code_tokens(svc, issued)
    sid = issued.session.sid
    assert [s.sid for s in await service.live_sessions(svc, user.user_id)] == [sid]

    other = await add_user(svc, "bob")
    assert not await service.end_session(svc, other.user_id, sid, by="user", source=None)
    assert await svc.sessions.get(issued.session.session_hash) is not None

    assert await service.end_session(svc, user.user_id, sid, by="administrator", source=None)
    assert await svc.sessions.get(issued.session.session_hash) is None
    [notice] = double(svc.logout, RecordingLogoutNotifier).notices
    assert notice.client_id == client.client_id
    assert svc.keys.verify(notice.logout_token)["sid"] == sid
    held = await svc.grants.get_token(handle_hash(tokens["access_token"]))
    assert held is not None
    assert held.revoked_at is not None
    [event] = double(svc.events, RecordingSecurityEvents).events
    assert (event.kind, event.detail) == (EventKind.SESSION_ENDED, "ended by the administrator")
    assert not await service.end_session(svc, user.user_id, sid, by="user", source=None)


async def test_end_all_sessions() -> None:
    svc = make_services()
    user = await add_user(svc)
    for _ in range(3):
        await add_session(svc, user)
    assert (await service.end_all_sessions(svc, user.user_id, by="user", source=None)).ended == 3
    assert await service.live_sessions(svc, user.user_id) == []


async def test_note_use_writes_at_most_once_a_minute() -> None:
    svc = make_services()
    user = await add_user(svc)
    session, _ = await add_session(svc, user)
    await service.note_use(session, svc)
    first = await svc.sessions.get(session.session_hash)
    assert first is not None
    assert first.last_used_at == int(svc.clock.now())
    advance(svc, 30)
    await service.note_use(first, svc)
    again = await svc.sessions.get(session.session_hash)
    assert again == first
    advance(svc, 31)
    await service.note_use(first, svc)
    later = await svc.sessions.get(session.session_hash)
    assert later is not None
    assert later.last_used_at == int(svc.clock.now())


async def test_the_account_client_is_put_back_as_defined() -> None:
    svc = make_services()
    made = await ensure_account_client(svc)
    assert made.metadata.redirect_uris == (svc.issuer + "/account/callback",)
    assert made.metadata.require_pkce
    assert made.metadata.is_public
    widened = dataclasses.replace(
        made,
        metadata=dataclasses.replace(made.metadata, redirect_uris=("https://evil.example/cb",)),
    )
    assert await svc.clients.replace(widened)
    fixed = await ensure_account_client(svc)
    assert fixed.metadata == made.metadata
    stored = await svc.clients.get(ACCOUNT_CLIENT_ID)
    assert stored is not None
    assert stored.metadata.redirect_uris == made.metadata.redirect_uris


async def test_the_account_client_gets_no_client_credentials_tokens() -> None:
    svc = make_services()
    client = await ensure_account_client(svc)
    assert client.metadata.token_endpoint_auth_method == "none"
    form = {"grant_type": "client_credentials", "client_id": ACCOUNT_CLIENT_ID}
    with pytest.raises(OAuthError):
        await token(form, None, svc)
