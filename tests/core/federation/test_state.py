"""The pending upstream sign-in: stored under the hash of ``state``, single use, short-lived,
bound to the browser and the provider that started it; routing by kc_idp_hint and domain."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.admin_records import AuditEntry
from authgate.core.authorize import interaction as ix_flow
from authgate.core.federation import flow
from authgate.core.federation.errors import FederationFailed
from authgate.core.federation.model import Provider, UpstreamIdentity
from authgate.core.ports import Services
from authgate.core.types import AuthorizationRequest
from authgate.crypto.handles import handle_hash
from tests.memory.doubles import RecordingSecurityEvents
from tests.memory.services import add_client, add_user, advance, double, make_services
from tests.memory.stores import MemoryFederationStore
from tests.support import REDIRECT_URI, query_of

GITHUB = Provider(
    alias="gh",
    kind="oauth2",
    client_id="gh-client",
    authorization_endpoint="https://gh.example/authorize",
    token_endpoint="https://gh.example/token",
    userinfo_endpoint="https://gh.example/user",
    client_auth="client_secret_post",
    scopes=("read:user",),
)


async def started(svc: Services) -> tuple[str, str, str]:
    """A provider, an interaction and its start: (state, browser secret, interaction id)."""
    fed = svc.federation
    assert fed is not None
    store = double(fed.store, MemoryFederationStore)
    await store.add_provider(GITHUB, AuditEntry("t", "add", "p", "gh", 0, None, None))
    client = await add_client(svc)
    request = AuthorizationRequest(
        client.client_id, REDIRECT_URI, True, "code", ("openid",), nonce="n"
    )
    ix, secret = await ix_flow.begin(request, None, None, svc)
    url = await flow.start(ix, GITHUB, svc)
    assert url.startswith("https://gh.example/authorize?")
    return query_of(url)["state"], secret, ix.interaction_id


async def test_the_state_is_stored_hashed_and_taken_once() -> None:
    svc = make_services()
    state, _secret, ix_id = await started(svc)
    assert svc.federation is not None
    pending = await svc.federation.store.take_pending(handle_hash(state), svc.clock.now())
    assert pending is not None and pending.interaction_id == ix_id and pending.alias == "gh"
    assert len(pending.verifier) >= 43 and pending.nonce
    assert await svc.federation.store.take_pending(handle_hash(state), svc.clock.now()) is None


@pytest.mark.parametrize("case", ["replayed", "other_browser", "other_alias", "expired", "none"])
async def test_a_state_that_does_not_fit_is_refused(case: str) -> None:
    svc = make_services()
    state, secret, _ = await started(svc)
    alias, params = "gh", {"state": state, "code": "c"}
    if case == "replayed":
        with pytest.raises(FederationFailed):
            await flow.callback(alias, {"state": state, "error": "access_denied"}, secret, svc)
    elif case == "other_browser":
        secret = "another-browser"
    elif case == "other_alias":
        alias = "corp"
    elif case == "expired":
        advance(svc, flow.PENDING_LIFETIME + 1)
    else:
        params = {"code": "c"}
    with pytest.raises(FederationFailed) as failed:
        await flow.callback(alias, params, secret, svc, source="192.0.2.1")
    assert failed.value.code == "state_invalid"
    events = double(svc.events, RecordingSecurityEvents).events
    assert events[-1].kind == "federation_failed" and events[-1].source == "192.0.2.1"


async def test_a_cancelled_sign_in_says_so() -> None:
    svc = make_services()
    state, secret, _ = await started(svc)
    with pytest.raises(FederationFailed) as failed:
        await flow.callback("gh", {"state": state, "error": "access_denied"}, secret, svc)
    assert failed.value.code == "cancelled"


def test_routing_by_hint_and_domain() -> None:
    corp = dataclasses.replace(GITHUB, alias="corp", domains=("corp.example",))
    off = dataclasses.replace(GITHUB, alias="off", enabled=False, domains=("off.example",))
    providers = [GITHUB, corp, off]
    assert flow.route(providers, "corp", None) == corp
    assert flow.route(providers, "off", None) is None
    assert flow.route(providers, "nope", "a@corp.example") is None  # a hint wins, even unknown
    assert flow.route(providers, None, "a@CORP.example") == corp
    assert flow.route(providers, None, "a@off.example") is None
    assert flow.route(providers, None, "alice") is None


async def test_a_taken_username_gets_the_providers_suffix() -> None:
    svc = make_services()
    await started(svc)
    await add_user(svc, "octocat")
    identity = UpstreamIdentity("583231", preferred_username="octocat")
    user = await flow._provision(GITHUB, identity, svc, svc.clock.now())
    assert user.username.startswith("octocat@gh-") and user.password_hash == "!federated"
    again = await flow._provision(GITHUB, identity, svc, svc.clock.now())  # linked meanwhile
    assert again.user_id == user.user_id
