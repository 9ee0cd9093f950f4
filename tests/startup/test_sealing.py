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
from authgate.runtime import Runtime
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
