"""Mailed links as the core makes and uses them (core/selfservice/service.py), over the memory
stores: one-time, expiring, stored only as a hash, and limited per address."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from authgate.core.ports import Services
from authgate.core.security_events import EventKind
from authgate.core.selfservice import service
from authgate.core.selfservice.policy import Refused
from authgate.crypto.handles import handle_hash
from tests.memory.doubles import Outbox, RecordingSecurityEvents, StaticConfig
from tests.memory.services import add_user, advance, double, make_services

NEW = "a new long passphrase"


def _token(svc: Services, index: int = -1) -> str:
    link = double(svc.mail, Outbox).sent[index].link
    return parse_qs(urlsplit(link).query)["token"][0]


def _kinds(svc: Services) -> list[str]:
    return [e.kind for e in double(svc.events, RecordingSecurityEvents).events]


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_sign_up_stores_the_user_and_mails_a_link_stored_as_a_hash() -> None:
    svc = make_services()
    form = service.SignUpForm("bob", "bob@example.com", "Bob", NEW)
    user = await service.sign_up(svc, form, source="192.0.2.1")
    assert not user.email_verified
    sent = double(svc.mail, Outbox).sent
    assert [(m.kind, m.to) for m in sent] == [("verify_email", "bob@example.com")]
    token = _token(svc)
    assert svc.links is not None
    stored = await svc.links.get(handle_hash(token))
    assert stored is not None and stored.user_id == user.user_id
    assert await svc.links.get(token) is None  # only the hash is a key
    verified = await service.verify_email(svc, token, source=None)
    assert verified.email_verified
    with pytest.raises(Refused):
        await service.verify_email(svc, token, source=None)
    assert EventKind.SIGNED_UP in _kinds(svc)
    assert EventKind.SELF_SERVICE_LINK_REFUSED in _kinds(svc)


async def test_a_reset_link_expires() -> None:
    svc = make_services()
    config = double(svc.config, StaticConfig)
    config.update(selfServicePasswordResetEnabled=True)
    await add_user(svc, "alice", email="alice@example.com")
    service.request_reset(svc, "alice", source=None)
    await _settle()
    token = _token(svc)
    advance(svc, svc.config.current.selfServiceResetLinkLifetime)
    with pytest.raises(Refused):
        await service.reset_password(svc, token, NEW, NEW, source=None)


async def test_a_reset_for_an_account_without_an_address_sends_nothing() -> None:
    svc = make_services()
    await add_user(svc, "carol")
    service.request_reset(svc, "carol", source=None)
    service.request_reset(svc, "nobody@example.com", source=None)
    await _settle()
    assert double(svc.mail, Outbox).sent == []
    assert _kinds(svc).count(EventKind.RESET_REQUESTED) == 2


async def test_a_new_reset_link_uses_up_the_older_ones_when_it_is_used() -> None:
    svc = make_services()
    await add_user(svc, "alice", email="alice@example.com")
    service.request_reset(svc, "alice", source=None)
    await _settle()
    service.request_reset(svc, "alice@example.com", source=None)
    await _settle()
    first, second = _token(svc, 0), _token(svc, 1)
    await service.reset_password(svc, second, NEW, NEW, source=None)
    with pytest.raises(Refused):
        await service.reset_password(svc, first, NEW + "!", NEW + "!", source=None)


async def test_an_email_change_counts_once_verified_and_notifies_the_old_address() -> None:
    svc = make_services()
    user = await add_user(svc, "alice", email="alice@example.com", email_verified=True)
    with pytest.raises(Refused):
        await service.change_email(svc, user, "ALICE@example.com", source=None)
    assert await service.change_email(svc, user, "new@example.com", source=None)
    unchanged = await svc.users.get(user.user_id)
    assert unchanged is not None and unchanged.email == "alice@example.com"
    await service.verify_email(svc, _token(svc), source=None)
    notice = double(svc.mail, Outbox).sent[-1]
    assert (notice.kind, notice.to, notice.detail) == (
        "email_changed",
        "alice@example.com",
        "new@example.com",
    )
    assert EventKind.EMAIL_CHANGED in _kinds(svc)
