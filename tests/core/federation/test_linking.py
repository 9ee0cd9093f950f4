"""Which account an upstream identity signs in as: never linked by an unverified email, or by
a verified one from a provider the administrator does not trust."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.core.federation.linking import NeedProof, Provision, Refuse, SignIn, decide
from authgate.core.federation.model import Provider, UpstreamIdentity
from authgate.core.types import User

ALICE = User("u-1", "alice", "hash", email="alice@example.com", email_verified=True)
PROVIDER = Provider(alias="corp", kind="oidc", client_id="c", issuer="https://idp.example")


def identity(verified: bool) -> UpstreamIdentity:
    return UpstreamIdentity("s-1", "alice@example.com", verified)


def test_a_linked_identity_signs_in_as_its_user() -> None:
    assert decide(PROVIDER, identity(False), ALICE, None) == SignIn(ALICE)


def test_a_disabled_linked_user_is_refused() -> None:
    disabled = dataclasses.replace(ALICE, enabled=False)
    assert decide(PROVIDER, identity(True), disabled, None) == Refuse("account_disabled")
    assert decide(PROVIDER, identity(True), None, disabled) == Refuse("account_disabled")


@pytest.mark.parametrize(("verified", "trusted"), [(False, False), (False, True), (True, False)])
def test_an_email_links_only_verified_and_trusted(verified: bool, trusted: bool) -> None:
    provider = dataclasses.replace(PROVIDER, trust_email=trusted)
    assert decide(provider, identity(verified), None, ALICE) == NeedProof(ALICE)


def test_a_verified_email_from_a_trusted_provider_links() -> None:
    provider = dataclasses.replace(PROVIDER, trust_email=True)
    assert decide(provider, identity(True), None, ALICE) == SignIn(ALICE, link=True)


def test_an_unknown_identity_is_provisioned_or_refused() -> None:
    assert decide(PROVIDER, identity(True), None, None) == Provision()
    off = dataclasses.replace(PROVIDER, provision=False)
    assert decide(off, identity(True), None, None) == Refuse("no_account")
