"""``authgate lockouts list|clear``: brute-force protection's throttles and lockouts from the
command line (the local database, or a server's Config API with ``--url``)."""

from __future__ import annotations

import time

import click

from authgate.admin.cli_support import Target, echo_json, echo_rows, target_options


def _when(at: float | None) -> str:
    if at is None:
        return "-"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


@click.group("lockouts")
def lockouts_group() -> None:
    """Throttles and lockouts of brute-force protection (docs/security.md)."""


@lockouts_group.command("list")
@click.option(
    "--family",
    type=click.Choice(["login", "client", "registration"]),
    default=None,
    help="Only counters of logins, client credentials or registration access tokens.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the Config API's JSON.")
@target_options
def lockouts_list(family: str | None, as_json: bool, target: Target) -> None:
    """List failure counters, the most recent failure first: id, state, until, family,
    username or client, source, failures (tab-separated; '*' is every one)."""
    found = target.run(lambda b: b.list_lockouts(family))
    if as_json:
        echo_json(found)
        return
    echo_rows([
        (c["id"], c["state"], _when(c["blocked_until"]), c["family"],
         c["username"] or c["client_id"] or ("*" if c["subject"] is None else "(unknown user)"),
         c["source"] or "*", c["failures"])
        for c in found
    ])  # fmt: skip


@lockouts_group.command("clear")
@click.option("--username", default=None, help="The login counters of this username.")
@click.option("--client", default=None, help="The counters of this client_id.")
@click.option("--source", default=None, help="The counters of this source address.")
@click.option("--id", "counter", default=None, help="One counter, by the id `list` prints.")
@target_options
def lockouts_clear(
    username: str | None,
    client: str | None,
    source: str | None,
    counter: str | None,
    target: Target,
) -> None:
    """Clear throttles and lockouts: of a username or a client, from everywhere or from
    --source only; of a source address alone; or one counter by --id."""
    if not (username or client or source or counter):
        raise click.UsageError("Say what to clear: --username, --client, --source or --id")
    selector = {"username": username, "client_id": client, "source": source, "id": counter}
    chosen = {k: v for k, v in selector.items() if v}
    result = target.run(lambda b: b.clear_lockouts(chosen))
    click.echo(f"cleared {result['cleared']} counters")
