"""``authgate providers add|list|show|update|remove`` and ``providers links`` on the local
database: the secret comes from the environment or standard input, is never printed, and
is stored sealed; the redirect URI to register upstream is shown."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from authgate.cli import main

SECRET = "cli-upstream-secret-789"


def _cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)


@pytest.fixture
def local(database_url: str) -> list[str]:
    return ["--database-url", database_url]


def test_add_list_show_update_remove(local: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHGATE_SEALING_KEY", "k" * 40)
    added = _cli(
        "providers", "add", "corp", "--issuer", "https://idp.corp.example",
        "--upstream-client-id", "authgate", "--display-name", "Corp SSO",
        "--domain", "corp.example", "--map", "preferred_username=upn", "--json", *local,
        env={"AUTHGATE_PROVIDER_SECRET": SECRET},
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    body = json.loads(added.stdout)
    assert body["client_secret_set"] and body["redirect_uri"].endswith("/federation/corp/callback")
    assert body["mapping"] == {"preferred_username": "upn"}
    gh = _cli(
        "providers", "add", "gh", "--preset", "github", "--upstream-client-id", "Iv1",
        "--secret-stdin", *local, stdin=SECRET + "\n",
    )  # fmt: skip
    assert gh.exit_code == 0, gh.output
    listed = _cli("providers", "list", *local)
    assert listed.stdout.splitlines() == [
        "corp\toidc\tenabled\tCorp SSO\thttps://idp.corp.example",
        "gh\toauth2\tenabled\tGitHub\thttps://github.com/login/oauth/access_token",
    ]
    updated = _cli("providers", "update", "corp", "--disabled", "--no-provision", *local)
    assert updated.exit_code == 0, updated.output
    shown = _cli("providers", "show", "corp", "--json", *local)
    assert json.loads(shown.stdout)["enabled"] is False
    assert json.loads(shown.stdout)["provision"] is False
    for result in (added, gh, listed, updated, shown):
        assert SECRET not in result.output
    removed = _cli("providers", "remove", "gh", *local)
    assert removed.stdout.strip() == "removed identity provider gh"
    assert _cli("providers", "links", "list", *local).stdout == ""


def test_a_confidential_provider_without_a_secret_is_refused(
    local: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTHGATE_PROVIDER_SECRET", raising=False)
    result = _cli(
        "providers", "add", "corp", "--issuer", "https://idp.example",
        "--upstream-client-id", "c", *local,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "client_secret_basic needs a client_secret" in result.output
