"""The account page's "Linked identities": the user's links to upstream identity providers,
removed with the page's CSRF token; another user's link cannot be removed."""

from __future__ import annotations

import httpx
import pytest

from authgate.admin.context import Actor
from authgate.admin.federation_schemas import ProviderIn
from authgate.assembly import admin_service
from authgate.core.federation.model import FederatedIdentity
from authgate.core.security_events import EventKind
from authgate.core.types import User
from authgate.runtime import Runtime
from tests.support import USERNAME, FakeClock
from tests.web.account.support import csrf_of, sign_in


async def _linked(runtime: Runtime, clock: FakeClock) -> User:
    await admin_service(runtime).federation.create(
        ProviderIn(alias="corp", issuer="https://idp.corp.example", client_id="c",
                   client_secret="corp-secret-value", display_name="Corp SSO"),
        Actor("test"),
    )  # fmt: skip
    alice = await runtime.services.users.get_by_username(USERNAME)
    fed = runtime.services.federation
    assert alice is not None and fed is not None
    link = FederatedIdentity("corp", "up-1", alice.user_id, clock.now(), None, "alice@corp.example")
    assert await fed.store.link(link)
    return alice


async def test_linked_identities_are_listed_and_removed(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock
) -> None:
    page = await sign_in(http)
    assert 'id="identities"' not in page.text  # no link, no section
    await _linked(runtime, clock)
    page = await http.get("/account")
    assert 'id="identities"' in page.text and "Corp SSO" in page.text
    assert 'data-alias="corp" data-subject="up-1"' in page.text
    refused = await http.post(
        "/account/identities/unlink", data={"alias": "corp", "subject": "up-1", "csrf": "x"}
    )
    assert refused.status_code == 403
    removed = await http.post(
        "/account/identities/unlink",
        data={"alias": "corp", "subject": "up-1", "csrf": csrf_of(page.text)},
    )
    assert removed.status_code == 303 and removed.headers["location"] == "/account"
    fed = runtime.services.federation
    assert fed is not None and await fed.store.identity("corp", "up-1") is None
    await runtime.services.events.flush()
    events = await runtime.services.events.list(kind=EventKind.FEDERATION_UNLINKED)
    assert [e.detail for e in events] == ["corp"]
    assert 'id="identities"' not in (await http.get("/account")).text


@pytest.mark.parametrize("data", [{"alias": "corp"}, {"alias": "corp", "subject": "other"}])
async def test_only_ones_own_link_is_removed(
    http: httpx.AsyncClient, runtime: Runtime, clock: FakeClock, data: dict[str, str]
) -> None:
    await _linked(runtime, clock)
    other = User("u-other", "bob", "!x", created_at=int(clock.now()))
    await runtime.services.users.add(other)
    fed = runtime.services.federation
    assert fed is not None
    assert await fed.store.link(FederatedIdentity("corp", "other", other.user_id, clock.now()))
    page = await sign_in(http)
    response = await http.post(
        "/account/identities/unlink", data=data | {"csrf": csrf_of(page.text)}
    )
    assert response.status_code == 400
    assert await fed.store.identity("corp", "other") is not None
