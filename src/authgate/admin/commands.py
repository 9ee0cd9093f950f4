"""``authgate config|clients|users|keys|lockouts``: administration from the command line.

Without ``--url`` the commands open this host's database and run the same use cases as the
Config API (:mod:`authgate.admin.service`); with ``--url`` they call the Config API of a
running server. A configuration change made directly in the database reaches running
servers within ``config_poll_interval`` seconds.
"""

from __future__ import annotations

from typing import Any

import click

from authgate.admin.backends import AdminBackend
from authgate.admin.cli_support import Target, echo_json, echo_rows, target_options
from authgate.admin.lockout_commands import lockouts_group
from authgate.admin.values import format_value, infer_kind, parse_value, property_kinds


@click.group("config")
def config_group() -> None:
    """Read and change the auth server configuration (docs/janssen-compatibility.md §8)."""


@config_group.command("get")
@click.argument("name", required=False)
@target_options
def config_get(name: str | None, target: Target) -> None:
    """Print the whole configuration, or one property's value."""
    document = target.run(lambda b: b.get_config())
    if name is None:
        echo_json(document)
    elif name not in document:
        raise click.ClickException(f"{name}: unknown configuration property")
    else:
        click.echo(format_value(document[name]))


@config_group.command("set")
@click.argument("name")
@click.argument("value")
@target_options
def config_set(name: str, value: str, target: Target) -> None:
    """Set a property. VALUE is read by the property's type: true/false, a number, text,
    a list (JSON array, or items separated by commas) or JSON."""

    async def run(backend: AdminBackend) -> Any:
        kinds = property_kinds(await backend.config_schema())
        current = await backend.get_config()
        if name not in kinds and name not in current:
            raise click.ClickException(f"{name}: unknown configuration property")
        kind = kinds.get(name) or infer_kind(current.get(name))
        try:
            parsed = parse_value(kind, value)
        except ValueError as exc:
            raise click.ClickException(f"{name}: {exc}") from None
        return (await backend.set_property(name, parsed))[name]

    click.echo(f"{name} = {format_value(target.run(run))}")


@click.group("clients")
def clients_group() -> None:
    """Manage OpenID Connect clients."""


@clients_group.command("list")
@click.option("--search", default=None, help="Only clients whose name or id contains this.")
@target_options
def clients_list(search: str | None, target: Target) -> None:
    """List clients by name: client_id, name, auth method, grant types, state (tab-separated)."""
    found = target.run(lambda b: b.list_clients(search))
    rows = [
        (c["client_id"], c["client_name"] or "-", c["token_endpoint_auth_method"],
         ",".join(c["grant_types"]), "disabled" if c["disabled"] else "enabled")
        for c in found
    ]  # fmt: skip
    echo_rows(rows)


@clients_group.command("show")
@click.argument("client")
@target_options
def clients_show(client: str, target: Target) -> None:
    """Print every member of a client (CLIENT is its client_id)."""
    echo_json(target.run(lambda b: b.get_client(client)))


@clients_group.command("create")
@click.option("--name", "client_name", default="", help="client_name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for several.")
@click.option("--grant-type", "grant_types", multiple=True, help="Default: authorization_code.")
@click.option("--response-type", "response_types", multiple=True, help="Default: code.")
@click.option("--scope", "scopes", multiple=True, help="Repeat, or space-separate.")
@click.option(
    "--auth-method",
    type=click.Choice(["client_secret_basic", "client_secret_post", "none"]),
    default="client_secret_basic",
    help="token_endpoint_auth_method",
)
@target_options
def clients_create(
    client_name: str,
    redirect_uris: tuple[str, ...],
    grant_types: tuple[str, ...],
    response_types: tuple[str, ...],
    scopes: tuple[str, ...],
    auth_method: str,
    target: Target,
) -> None:
    """Create a client; a confidential client's secret is printed once."""
    body: dict[str, Any] = {
        "client_name": client_name,
        "redirect_uris": list(redirect_uris),
        "token_endpoint_auth_method": auth_method,
        "scope": [s for item in scopes for s in item.split()],
    }
    if grant_types:
        body["grant_types"] = list(grant_types)
        if not response_types and "authorization_code" not in grant_types:
            body["response_types"] = []
    if response_types:
        body["response_types"] = list(response_types)
    echo_json(target.run(lambda b: b.create_client(body)))


@clients_group.command("delete")
@click.argument("client")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@target_options
def clients_delete(client: str, yes: bool, target: Target) -> None:
    """Delete a client (CLIENT is its client_id) and revoke its tokens."""
    if not yes:
        click.confirm(f"Delete client {client} and revoke its tokens?", abort=True)
    target.run(lambda b: b.delete_client(client))
    click.echo(f"deleted client {client}")


@click.group("users")
def users_group() -> None:
    """Manage users."""


@users_group.command("list")
@click.option("--search", default=None, help="Only users whose name, email or id contains this.")
@target_options
def users_list(search: str | None, target: Target) -> None:
    """List users: username, user_id, email, state (tab-separated)."""
    found = target.run(lambda b: b.list_users(search))
    rows = [(u["username"], u["user_id"], u["email"] or "-",
             "enabled" if u["enabled"] else "disabled") for u in found]  # fmt: skip
    echo_rows(rows)


@users_group.command("show")
@click.argument("user")
@target_options
def users_show(user: str, target: Target) -> None:
    """Print a user (by username or id)."""
    echo_json(target.run(lambda b: b.get_user(user)))


def _password(value: str | None) -> str:
    """The password from the option, or prompted twice without echo."""
    return value or str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_group.command("add")
@click.argument("username")
@click.option("--password", default=None, help="Password (prompted when omitted).")
@click.option("--email", default=None)
@click.option("--name", default=None, help="Full name.")
@click.option("--given-name", default=None)
@click.option("--family-name", default=None)
@target_options
def users_add(username: str, password: str | None, email: str | None, name: str | None,
              given_name: str | None, family_name: str | None, target: Target) -> None:  # fmt: skip
    """Create a user."""
    body = {"username": username, "password": _password(password), "email": email, "name": name,
            "given_name": given_name, "family_name": family_name}  # fmt: skip
    user = target.run(lambda b: b.create_user(body))
    click.echo(f"created user {username} ({user['user_id']})")


@users_group.command("set-password")
@click.argument("user")
@click.option("--password", default=None, help="New password (prompted when omitted).")
@target_options
def users_set_password(user: str, password: str | None, target: Target) -> None:
    """Set a user's password (by username or id)."""
    secret = _password(password)
    target.run(lambda b: b.set_password(user, secret))
    click.echo(f"password of {user} changed")


@users_group.command("disable")
@click.argument("user")
@target_options
def users_disable(user: str, target: Target) -> None:
    """Disable a user: ends their sessions and revokes their tokens."""
    target.run(lambda b: b.update_user(user, {"enabled": False}))
    click.echo(f"disabled {user}")


@users_group.command("enable")
@click.argument("user")
@target_options
def users_enable(user: str, target: Target) -> None:
    """Enable a disabled user."""
    target.run(lambda b: b.update_user(user, {"enabled": True}))
    click.echo(f"enabled {user}")


@click.group("keys")
def keys_group() -> None:
    """Signing keys."""


@keys_group.command("list")
@target_options
def keys_list(target: Target) -> None:
    """List signing keys: kid, alg, status, signs_from, when it leaves the JWKS (tab-separated)."""
    keys = target.run(lambda b: b.list_keys())
    echo_rows([(k["kid"], k["alg"], k["status"], k["signs_from"], k["expires_at"] or "-")
               for k in keys])  # fmt: skip


@keys_group.command("rotate")
@target_options
def keys_rotate(target: Target) -> None:
    """Publish a new key per algorithm; it signs after the publish delay, and the old keys
    stay in the JWKS until the tokens they signed have expired."""
    rotation = target.run(lambda b: b.rotate_keys())
    for key in rotation["keys"]:
        click.echo(f"{key['alg']}: {key['kid']} signs from {key['signs_from']}")
        for kid in key["retiring"]:
            click.echo(f"{key['alg']}: {kid} leaves the JWKS at {key['retire_at']}")
    for kid in rotation["removed"]:
        click.echo(f"{kid} removed")


COMMANDS = (config_group, clients_group, users_group, keys_group, lockouts_group)
