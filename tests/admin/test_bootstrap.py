"""First start: the Config API scopes and the admin client."""

from __future__ import annotations

from authgate.admin.bootstrap import ADMIN_CLIENT_NAME
from authgate.admin.scopes import ADMIN_SCOPES
from authgate.crypto.handles import hash_matches
from authgate.runtime import Runtime
from authgate.settings import Settings
from tests.support import ISSUER, fast_hasher

SECRET = "an-operator-chosen-secret-of-some-length"


async def _start(database_url: str, **settings: str) -> Runtime:
    return await Runtime.start(
        Settings(issuer_url=ISSUER, database_url=database_url, **settings),  # type: ignore[arg-type]
        migrate=False,
        passwords=fast_hasher(),
        poll=False,
    )


async def test_generated_admin_client_is_reported_once(database_url: str) -> None:
    first = await _start(database_url)
    try:
        created = first.first_start
        assert created.admin_client_id and created.admin_client_secret
        client = await first.services.clients.get(created.admin_client_id)
        assert client is not None
        assert client.metadata.client_name == ADMIN_CLIENT_NAME
        assert client.metadata.scope == ADMIN_SCOPES
        assert client.metadata.grant_types == ("client_credentials",)
        assert client.secret_hash != created.admin_client_secret
        assert hash_matches(created.admin_client_secret, client.secret_hash)
        scopes = {s.scope_id: s for s in await first.services.scopes.all()}
        assert all(not scopes[name].registrable for name in ADMIN_SCOPES)
    finally:
        await first.stop()
    again = await _start(database_url)
    try:
        assert again.first_start.admin_client_id is None
        assert again.first_start.admin_client_secret is None
    finally:
        await again.stop()


async def test_admin_client_from_the_environment(database_url: str) -> None:
    runtime = await _start(database_url, admin_client_id="ops-admin", admin_client_secret=SECRET)
    try:
        assert runtime.first_start.admin_client_id == "ops-admin"
        assert runtime.first_start.admin_client_secret is None  # the operator knows it
        client = await runtime.services.clients.get("ops-admin")
        assert client is not None and hash_matches(SECRET, client.secret_hash)
    finally:
        await runtime.stop()
    # a later start never changes an existing client, even with another secret
    later = await _start(database_url, admin_client_id="ops-admin", admin_client_secret="x" * 30)
    try:
        assert later.first_start.admin_client_id is None
        client = await later.services.clients.get("ops-admin")
        assert client is not None and hash_matches(SECRET, client.secret_hash)
    finally:
        await later.stop()


async def test_named_admin_client_is_added_to_an_existing_install(database_url: str) -> None:
    await (await _start(database_url)).stop()
    runtime = await _start(database_url, admin_client_id="second-admin", admin_client_secret=SECRET)
    try:
        assert runtime.first_start.admin_client_id == "second-admin"
    finally:
        await runtime.stop()
