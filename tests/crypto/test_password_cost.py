"""The ``password_hash_cost`` setting reaches the hasher a started server uses: production
hashes carry RFC 9106's second recommended parameters (section 4), and the test-only
``minimal`` cost, which the suite's server processes run with, is argon2id too."""

from __future__ import annotations

from pathlib import Path

import pytest

from authgate.crypto.keys import StoredKey
from authgate.crypto.passwords import hasher_for
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.storage.configuration import SqlKeyStore
from authgate.storage.connect import open_database
from tests.support import ISSUER


async def _hash_of_started_server(sqlite_file: Path, keys: list[StoredKey], **cost: str) -> str:
    settings = Settings(
        issuer_url=ISSUER,
        database_url=f"sqlite+aiosqlite:///{sqlite_file}",
        admin_password="admin-password-1",
        **cost,  # type: ignore[arg-type]
    )
    db = await open_database(settings.database)
    for key in keys:
        await SqlKeyStore(db).add(key)
    await db.close()
    rt = await Runtime.start(settings, migrate=False, poll=False)
    try:
        passwords = rt.services.passwords
        stored = passwords.hash("correct horse")
        assert await passwords.verify(stored, "correct horse")
        assert not await passwords.verify(stored, "wrong horse")
        return stored
    finally:
        await rt.stop()


async def test_by_default_hashes_use_rfc_9106_second_recommended_option(
    sqlite_file: Path,
    signing_keys: list[StoredKey],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("AUTHGATE_PASSWORD_HASH_COST")  # the suite's (tests/conftest.py)
    assert Settings().password_hash_cost == "standard"
    stored = await _hash_of_started_server(sqlite_file, signing_keys)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "PASSWORD_HASH_COST" not in caplog.text


async def test_the_minimal_cost_is_argon2id_at_its_least_and_says_so(
    sqlite_file: Path, signing_keys: list[StoredKey], caplog: pytest.LogCaptureFixture
) -> None:
    stored = await _hash_of_started_server(sqlite_file, signing_keys, password_hash_cost="minimal")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert any("AUTHGATE_PASSWORD_HASH_COST=minimal" in r.getMessage() for r in warnings)


def test_an_unknown_cost_is_refused() -> None:
    with pytest.raises(ValueError, match="password_hash_cost"):
        Settings(password_hash_cost="cheap")


async def test_hashes_of_either_cost_verify_under_the_other() -> None:
    standard, minimal = hasher_for("standard"), hasher_for("minimal")
    assert await minimal.verify(standard.hash("pw one"), "pw one")
    assert await standard.verify(minimal.hash("pw two"), "pw two")
