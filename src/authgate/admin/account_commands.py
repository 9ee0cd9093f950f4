"""``authgate users grants|sessions``: a user's approved apps and login sessions from the
command line (the local database, or a server's Config API with ``--url``). Prints no token,
code or session handle: a grant is its client and scopes, a session its ``sid``."""

from __future__ import annotations

import time

import click

from authgate.admin.cli_support import Target, echo_json, echo_rows, target_options


def when(at: float | None) -> str:
    if at is None:
        return "-"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


@click.group("grants")
def grants_group() -> None:
    """The apps a user approved (docs/account.md)."""


@grants_group.command("list")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print the Config API's JSON.")
@target_options
def grants_list(user: str, as_json: bool, target: Target) -> None:
    """List a user's grants (by username or id): client_id, name, scopes, approved at."""
    found = target.run(lambda b: b.list_user_grants(user))
    if as_json:
        echo_json(found)
        return
    echo_rows([(g["client_id"], g["client_name"] or "-", " ".join(g["scope"]),
                when(g["granted_at"])) for g in found])  # fmt: skip


@grants_group.command("revoke")
@click.argument("user")
@click.argument("app", metavar="CLIENT", required=False)
@click.option("--all", "every", is_flag=True, help="Revoke every grant of the user.")
@target_options
def grants_revoke(user: str, app: str | None, every: bool, target: Target) -> None:
    """Revoke a user's grant of the client CLIENT (its client_id; or --all): the consent and,
    at once, the client's tokens for the user."""
    if every == (app is not None):
        raise click.UsageError("Give a CLIENT or --all (not both)")
    if app is not None:
        result = target.run(lambda b: b.revoke_user_grant(user, app))
        click.echo(f"revoked {app}: {result['tokens_revoked']} tokens revoked")
        return
    revoked = target.run(lambda b: b.revoke_user_grants(user))["revoked"]
    click.echo(f"revoked {len(revoked)} grants" + (f": {' '.join(revoked)}" if revoked else ""))


@click.group("sessions")
def sessions_group() -> None:
    """A user's login sessions (docs/account.md)."""


@sessions_group.command("list")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print the Config API's JSON.")
@target_options
def sessions_list(user: str, as_json: bool, target: Target) -> None:
    """List a user's live sessions (by username or id): sid, signed in, last used, expires,
    browser."""
    found = target.run(lambda b: b.list_user_sessions(user))
    if as_json:
        echo_json(found)
        return
    echo_rows([(x["sid"], when(x["auth_time"]), when(x["last_used_at"]),
                when(x["expires_at"]), x["user_agent"] or "-") for x in found])  # fmt: skip


@sessions_group.command("revoke")
@click.argument("user")
@click.argument("sid", required=False)
@click.option("--all", "every", is_flag=True, help="End every session of the user.")
@target_options
def sessions_revoke(user: str, sid: str | None, every: bool, target: Target) -> None:
    """End a user's session SID (or --all) as logout does: its online grants are revoked
    and its clients get back-channel logout."""
    if every == (sid is not None):
        raise click.UsageError("Give a SID or --all (not both)")
    if sid is not None:
        target.run(lambda b: b.end_user_session(user, sid))
        click.echo(f"ended session {sid}")
        return
    ended = target.run(lambda b: b.end_user_sessions(user))["ended"]
    click.echo(f"ended {ended} sessions")
