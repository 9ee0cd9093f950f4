"""``authgate clients initial-tokens create|list|revoke`` on the local database: the value is
printed once, alone on standard output, and never again; a registration uses it; revoking
stops it."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from click.testing import CliRunner, Result

from authgate.cli import main
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.web.app import create_app
from tests.support import ISSUER, fast_hasher, flow_registration_body

REGISTER = "/jans-auth/restv1/register"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def local(database_url: str) -> list[str]:
    return ["--database-url", database_url]


def _register(database_url: str, token: str) -> int:
    """Register the flow document's client with ``token`` on a server over the database."""

    async def run() -> int:
        settings = Settings(issuer_url=ISSUER, database_url=database_url)
        runtime = await Runtime.start(settings, migrate=False, passwords=fast_hasher(), poll=False)
        try:
            transport = httpx.ASGITransport(app=create_app(settings, runtime))
            async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
                response = await http.post(
                    REGISTER,
                    json=flow_registration_body(),
                    headers={"Authorization": f"Bearer {token}"},
                )
                return response.status_code
        finally:
            await runtime.stop()

    return asyncio.run(run())


def test_create_list_use_and_revoke(local: list[str], database_url: str) -> None:
    policy = _cli("config", "set", "dynamicRegistrationPolicy", "initial_access_token", *local)
    assert policy.stdout == "dynamicRegistrationPolicy = initial_access_token\n"

    created = _cli("clients", "initial-tokens", "create", "--description", "CI pipeline",
                   "--max-uses", "2", "--expires-in", "600", *local)  # fmt: skip
    assert created.exit_code == 0, created.output
    value = created.stdout.strip()
    assert created.stdout == value + "\n" and len(value) >= 43  # the value, alone
    assert "shown once" in created.stderr and value not in created.stderr

    listed = _cli("clients", "initial-tokens", "list", *local)
    [row] = listed.stdout.splitlines()
    token_id, state, uses, _expires, created_by, description = row.split("\t")
    assert (state, uses, description) == ("active", "0/2", "CI pipeline")
    assert created_by.startswith("cli:") and token_id in created.stderr
    as_json = _cli("clients", "initial-tokens", "list", "--json", *local).stdout
    assert json.loads(as_json)[0]["token_id"] == token_id
    assert value not in listed.stdout + as_json

    assert _register(database_url, value) == 201
    assert "\tactive\t1/2\t" in _cli("clients", "initial-tokens", "list", *local).stdout

    revoked = _cli("clients", "initial-tokens", "revoke", token_id, *local)
    assert revoked.stdout == f"revoked initial access token {token_id}\n"
    assert "\trevoked\t1/2\t" in _cli("clients", "initial-tokens", "list", *local).stdout
    assert _register(database_url, value) == 401
    again = _cli("clients", "initial-tokens", "revoke", token_id, *local)
    assert again.exit_code == 1 and "No active initial access token" in again.stderr


def test_create_as_json_and_invalid_options(local: list[str]) -> None:
    created = _cli("clients", "initial-tokens", "create", "--json", *local)
    issued = json.loads(created.stdout)
    assert issued["max_uses"] == 1 and "shown once" in issued["notice"]
    assert issued["initial_access_token"]
    refused = _cli("clients", "initial-tokens", "create", "--max-uses", "0", *local)
    assert refused.exit_code == 1 and "max_uses" in refused.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("grantTypesSupported", "authorization_code,password", "grantTypesSupported: 'password'"),
        ("responseModesSupported", "query,web_message", "responseModesSupported: 'web_message'"),
        ("dynamicRegistrationPolicy", "sometimes", "dynamicRegistrationPolicy"),
    ],
)
def test_config_set_refuses_unknown_values(
    local: list[str], name: str, value: str, message: str
) -> None:
    result = _cli("config", "set", name, value, *local)
    assert result.exit_code == 1
    assert message in result.stderr
