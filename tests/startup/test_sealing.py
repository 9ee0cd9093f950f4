"""The start-up check of the sealing key (authgate.startup.sealing): an instance whose key
does not open the upstream providers' stored client secrets says so, with what to do, and
never shows a key; the check makes no key file."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from authgate.admin.context import Actor
from authgate.admin.federation_schemas import ProviderIn
from authgate.assembly import admin_service
from authgate.core.federation.errors import FederationFailed
from authgate.core.federation.flow import client_secret
from authgate.core.federation.model import Provider
from authgate.core.ports import Federation, SealingKeyUnavailable
from authgate.errors import ServerError
from authgate.runtime import Runtime, sealing_key, sealing_key_file
from authgate.settings import Settings
from authgate.startup.sealing import NAMED, sealing_key_problem
from tests.e2e.harness import AuthgateServer
from tests.federation_upstream import Upstream
from tests.support import ISSUER

KEY = "right-sealing-key-" + "r" * 30
OTHER = "other-sealing-key-" + "o" * 30


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        issuer_url=ISSUER,
        database_url=database_url,
        admin_password="admin-password-1",
        outbound_allow="127.0.0.1",
        sealing_key=KEY,
        data_dir=tmp_path / "data",
    )


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    async with Upstream() as up:
        yield up


async def _add(runtime: Runtime, up: Upstream, alias: str, secret: str | None = "s3cret-1") -> None:
    body: dict[str, Any] = {
        "alias": alias,
        "issuer": up.issuer,
        "client_id": "downstream",
        "display_name": alias,
    }
    if secret is not None:
        body["client_secret"] = secret
    else:  # signs its token requests with authgate's key instead
        body["client_auth"] = "private_key_jwt"
    await admin_service(runtime).federation.create(ProviderIn(**body), Actor("test"))


async def test_no_provider_secrets_no_problem(runtime: Runtime, settings: Settings) -> None:
    assert runtime.services.federation is not None
    store = runtime.services.federation.store
    no_key = settings.model_copy(update={"sealing_key": None})
    assert await sealing_key_problem(no_key, store) is None


async def test_only_a_key_that_opens_the_secrets_passes(
    runtime: Runtime, settings: Settings, upstream: Upstream
) -> None:
    await _add(runtime, upstream, "corp")
    assert runtime.services.federation is not None
    store = runtime.services.federation.store
    assert await sealing_key_problem(settings, store) is None
    other = await sealing_key_problem(settings.model_copy(update={"sealing_key": OTHER}), store)
    assert other is not None
    assert "the sealing key in AUTHGATE_SEALING_KEY" in other and "providers corp:" in other
    assert "authgate providers update ALIAS" in other
    assert KEY not in other and OTHER not in other
    # no key here at all: it says where it looked, and makes no file there
    no_key = settings.model_copy(update={"sealing_key": None})
    missing = await sealing_key_problem(no_key, store)
    assert missing is not None and "no sealing key (neither AUTHGATE_SEALING_KEY nor " in missing
    key_file = re.search(r"nor (\S+)\)", missing)
    assert key_file is not None and not Path(key_file.group(1)).exists()
    # the key in the file is read like the variable
    Path(key_file.group(1)).parent.mkdir(parents=True, exist_ok=True)
    Path(key_file.group(1)).write_text(KEY + "\n")
    assert await sealing_key_problem(no_key, store) is None
    Path(key_file.group(1)).write_text(OTHER)
    in_file = await sealing_key_problem(no_key, store)
    assert in_file is not None and f"the sealing key in {key_file.group(1)}," in in_file
    # a key file it cannot read is said as such; the start goes on
    Path(key_file.group(1)).unlink()
    Path(key_file.group(1)).mkdir()
    unreadable = await sealing_key_problem(no_key, store)
    assert unreadable is not None
    assert f"a sealing key it cannot read ({key_file.group(1)}: Is a directory)" in unreadable


async def test_a_provider_without_a_secret_needs_no_key_and_long_lists_are_cut(
    runtime: Runtime, settings: Settings, upstream: Upstream
) -> None:
    await _add(runtime, upstream, "public", secret=None)
    assert runtime.services.federation is not None
    store = runtime.services.federation.store
    other = settings.model_copy(update={"sealing_key": OTHER})
    assert await sealing_key_problem(other, store) is None
    for i in range(NAMED + 2):
        await _add(runtime, upstream, f"p{i}")
    problem = await sealing_key_problem(other, store)
    assert problem is not None and "and 2 more:" in problem and "public" not in problem


async def test_serve_warns_when_its_key_does_not_open_the_secrets(
    tmp_path: Path, upstream: Upstream
) -> None:
    """The check runs as `authgate serve` starts: one warning line in its log."""
    data = tmp_path / "served"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")},
        "AUTHGATE_OUTBOUND_ALLOW": "127.0.0.1",
        "AUTHGATE_PASSWORD_HASH_COST": "minimal",
    }
    command = [sys.executable, "-m", "authgate"]
    add = [*command, "providers", "add", "corp", "--issuer", upstream.issuer,
           "--upstream-client-id", "downstream", "--data-dir", str(data)]  # fmt: skip

    def run(args: list[str], extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env={**env, **extra}, capture_output=True, text=True)

    migrated = await asyncio.to_thread(run, [*command, "migrate", "--data-dir", str(data)], {})
    assert migrated.returncode == 0, migrated.stderr
    added = await asyncio.to_thread(run, add, {"AUTHGATE_PROVIDER_SECRET": "s3cret-1"})
    assert added.returncode == 0, added.stderr
    (data / "sealing.key").write_text(OTHER)  # as if the data directory came from elsewhere
    server = AuthgateServer(
        data_dir=data,
        admin_password="admin-password-1",
        environment={"AUTHGATE_OUTBOUND_ALLOW": "127.0.0.1"},
    )
    try:
        await asyncio.to_thread(server.start)
    finally:
        server.stop()
    log = server.log_path.read_text()
    warnings = [line for line in log.splitlines() if "does not open the client secrets" in line]
    assert len(warnings) == 1, log
    assert f"the sealing key in {data / 'sealing.key'}," in warnings[0]
    assert OTHER not in log and "s3cret-1" not in log


def test_an_empty_key_file_is_unavailable_never_an_empty_key(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/authgate.db")
    (tmp_path / "sealing.key").write_text("")
    with pytest.raises(SealingKeyUnavailable, match="is empty"):
        sealing_key(settings)()
    (tmp_path / "sealing.key").unlink()
    (tmp_path / "sealing.key").mkdir()
    with pytest.raises(SealingKeyUnavailable, match="cannot read or make"):
        sealing_key(settings)()


def test_a_sign_in_without_its_key_is_the_providers_misconfiguration() -> None:
    """The upstream's error page (upstream_misconfigured), not a server error."""

    def unavailable() -> str:
        raise SealingKeyUnavailable("/srv/authgate/sealing.key is empty")

    fed = Federation(store=None, http=None, key=unavailable)  # type: ignore[arg-type]
    provider = Provider("corp", "oidc", "downstream", client_secret_sealed="sealed")
    with pytest.raises(FederationFailed) as failed:
        client_secret(provider, fed)
    assert failed.value.code == "upstream_misconfigured"
    assert client_secret(Provider("open", "oidc", "downstream"), fed) is None  # no key needed


async def test_adding_a_secret_without_the_key_is_a_clear_server_error(
    database_url: str, tmp_path: Path, upstream: Upstream, signing_keys: list[object]
) -> None:
    del signing_keys  # the session's keys, parsed once
    settings = Settings(
        issuer_url=ISSUER,
        database_url=database_url,
        admin_password="admin-password-1",
        outbound_allow="127.0.0.1",
        data_dir=tmp_path / "data",
    )
    (sealing_key_file(settings)).parent.mkdir(parents=True, exist_ok=True)
    sealing_key_file(settings).write_text("\n")
    runtime = await Runtime.start(settings, migrate=False, poll=False, serves_pages=False)
    try:
        with pytest.raises(ServerError, match=r"sealing key is unavailable: .* is empty"):
            await _add(runtime, upstream, "corp")
        assert runtime.services.federation is not None
        assert await runtime.services.federation.store.providers() == []
    finally:
        await runtime.stop()
