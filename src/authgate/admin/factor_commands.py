"""``authgate users factors list|reset`` and ``authgate users passkeys list|remove``: a
user's second factors and passkeys from the command line (the local database, or a server's
Config API with ``--url``). Prints no seed, code or key: a factor is its kind, name and
dates, a passkey its id, name and counters, recovery codes how many are left."""

from __future__ import annotations

import click

from authgate.admin.account_commands import when
from authgate.admin.cli_support import Target, echo_json, echo_rows, target_options


@click.group("factors")
def factors_group() -> None:
    """A user's second factors: authenticator apps, passkeys, recovery codes
    (docs/sign-in.md)."""


@factors_group.command("list")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print the Config API's JSON.")
@target_options
def factors_list(user: str, as_json: bool, target: Target) -> None:
    """List a user's factors (by username or id): kind, id, name, added, last used."""
    found = target.run(lambda b: b.list_user_factors(user))
    if as_json:
        echo_json(found)
        return
    rows = [
        ("totp" if f["confirmed"] else "totp (pending)", f["factor_id"], f["label"] or "-",
         when(f["created_at"]), when(f["last_used_at"]))
        for f in found["factors"]
    ] + [
        ("passkey", p["credential_id"], p["name"] or "-", when(p["created_at"]),
         when(p["last_used_at"]))
        for p in found["passkeys"]
    ]  # fmt: skip
    echo_rows(rows)
    click.echo(f"recovery codes left: {found['recovery_codes_left']}")


@factors_group.command("reset")
@click.argument("user")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@target_options
def factors_reset(user: str, yes: bool, target: Target) -> None:
    """Remove every authenticator app, passkey and recovery code of a user who lost them;
    the next sign-in goes as for a user who never enrolled (enrolment, when policy
    requires a second factor)."""
    if not yes:
        click.confirm(f"Remove every second factor and passkey of {user}?", abort=True)
    removed = target.run(lambda b: b.reset_user_factors(user))["removed"]
    click.echo("removed: " + ", ".join(f"{kind} {count}" for kind, count in removed.items()))


@click.group("passkeys")
def passkeys_group() -> None:
    """A user's passkeys (docs/security.md, "Passkeys")."""


@passkeys_group.command("list")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print the Config API's JSON.")
@target_options
def passkeys_list(user: str, as_json: bool, target: Target) -> None:
    """List a user's passkeys: credential id, name, added, last used, synced."""
    found = target.run(lambda b: b.list_user_passkeys(user))
    if as_json:
        echo_json(found)
        return
    echo_rows([(p["credential_id"], p["name"] or "-", when(p["created_at"]),
                when(p["last_used_at"]),
                "synced" if p["backup_eligible"] or p["backup_state"] else "device-bound")
               for p in found])  # fmt: skip


@passkeys_group.command("remove")
@click.argument("user")
@click.argument("credential_id", metavar="ID")
@target_options
def passkeys_remove(user: str, credential_id: str, target: Target) -> None:
    """Remove the passkey ID of a user: it no longer signs in, at once."""
    target.run(lambda b: b.remove_user_passkey(user, credential_id))
    click.echo(f"removed passkey {credential_id}")
