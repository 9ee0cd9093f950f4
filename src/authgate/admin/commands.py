"""``authgate config|clients|users|keys|events|lockouts``: administration from the command line.

Without ``--url`` the commands open this host's database and run the same use cases as the
Config API (:mod:`authgate.admin.service`); with ``--url`` they call the Config API of a
running server. A configuration change made directly in the database reaches running
servers within ``config_poll_interval`` seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

import click

from authgate.admin.account_commands import grants_group, sessions_group
from authgate.admin.cli_support import (
    Target,
    echo_json,
    echo_members,
    echo_rows,
    json_option,
    target_options,
)
from authgate.admin.factor_commands import factors_group, passkeys_group
from authgate.admin.lockout_commands import lockouts_group
from authgate.admin.provider_commands import providers_group
from authgate.admin.schemas import ClientIn, ClientOut
from authgate.admin.values import (
    Kind,
    closest,
    format_time,
    format_value,
    infer_kind,
    parse_value,
    property_kinds,
)

if TYPE_CHECKING:
    from authgate.admin.backends import AdminBackend


def unknown_property(name: str, known: Any) -> click.ClickException:
    """The error for a property that does not exist, suggesting the closest one."""
    guess = closest(name, known)
    hint = f" (did you mean {guess}?)" if guess else ""
    return click.ClickException(f"{name}: unknown configuration property{hint}")


@click.group("config")
def config_group() -> None:
    """Read and change the auth server configuration (docs/janssen-compatibility.md §8)."""


@config_group.command("get")
@click.argument("name", required=False)
@json_option
@target_options
def config_get(name: str | None, as_json: bool, target: Target) -> None:
    """Print the whole configuration (JSON), or one property's value (secret properties are
    write-only and never printed)."""

    async def run(backend: AdminBackend) -> tuple[dict[str, Any], dict[str, Kind]]:
        return await backend.get_config(), property_kinds(await backend.config_schema())

    document, kinds = target.run(run)
    if name is None:
        echo_json(document)
    elif name not in document and name in kinds and kinds[name].write_only:
        raise click.ClickException(f"{name}: write-only (a secret); it is never shown")
    elif name not in document:
        raise unknown_property(name, document)
    elif as_json:
        echo_json(document[name])
    else:
        click.echo(format_value(document[name]))


# ignore_unknown_options: a VALUE such as -1 is a value, not an option.
@config_group.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("pairs", nargs=-1, required=True, metavar="NAME VALUE [NAME VALUE]...")
@target_options
def config_set(pairs: tuple[str, ...], target: Target) -> None:
    """Set properties. Each VALUE is read by its property's type: true/false, a number (-1
    too), text, a list (JSON array, or items separated by commas) or JSON. Several NAME VALUE
    pairs are stored together, as one revision: all of them or, when one is refused, none."""
    if len(pairs) % 2:
        raise click.UsageError(f"give NAME VALUE pairs; {pairs[-1]!r} has no value")
    given = list(zip(pairs[::2], pairs[1::2], strict=True))
    names = [name for name, _ in given]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise click.UsageError(f"{', '.join(repeated)} given more than once")

    async def run(backend: AdminBackend) -> Any:
        kinds = property_kinds(await backend.config_schema())
        current = await backend.get_config()
        changes: dict[str, Any] = {}
        for name, value in given:
            if name not in kinds and name not in current:
                raise unknown_property(name, kinds.keys() | current.keys())
            kind = kinds.get(name) or infer_kind(current.get(name))
            try:
                changes[name] = parse_value(kind, value)
            except ValueError as exc:
                raise click.ClickException(f"{name}: {exc}") from None
        document = await backend.set_properties(changes)
        return "\n".join(
            f"{name} = {format_value(document[name])}" if name in document else f"{name} set"
            for name in changes
        )

    click.echo(target.run(run))


@click.group("clients")
def clients_group() -> None:
    """Manage OpenID Connect clients."""


@clients_group.command("list")
@click.option("--search", default=None, help="Only clients whose name or id contains this.")
@json_option
@target_options
def clients_list(search: str | None, as_json: bool, target: Target) -> None:
    """List clients by name: client_id, name, auth method, grant types, state (tab-separated;
    --json: every member)."""
    found = target.run(lambda b: b.list_clients(search))
    if as_json:
        echo_json(found)
        return
    rows = [
        (c["client_id"], c["client_name"] or "-", c["token_endpoint_auth_method"],
         ",".join(c["grant_types"]), "disabled" if c["disabled"] else "enabled")
        for c in found
    ]  # fmt: skip
    echo_rows(rows)


@clients_group.command("show")
@click.argument("client")
@json_option
@target_options
def clients_show(client: str, as_json: bool, target: Target) -> None:
    """Print every member of a client (CLIENT is its client_id), one per line (--json: as
    JSON)."""
    found = target.run(lambda b: b.get_client(client))
    if as_json:
        echo_json(found)
    else:
        echo_members(found)


def _members_file(source: IO[str] | None) -> dict[str, Any]:
    """The client members in ``source`` (a JSON object, as the Config API takes), or none."""
    if source is None:
        return {}
    try:
        members = json.loads(source.read())
    except ValueError as exc:
        raise click.ClickException(f"--from-file: not JSON ({exc})") from None
    if not isinstance(members, dict):
        raise click.ClickException("--from-file: a JSON object of client members is expected")
    return members


def _echo_client(client: dict[str, Any]) -> None:
    echo_json(client)
    if client.get("client_secret"):
        click.echo("client_secret: shown once, store it now (only its hash is kept)", err=True)


#: Members a client shows (``clients show --json``) that the Config API does not take back.
READ_ONLY_CLIENT_MEMBERS = frozenset(ClientOut.model_fields) - frozenset(ClientIn.model_fields)

FROM_FILE = click.option(
    "--from-file",
    "members_file",
    type=click.File("r"),
    default=None,
    help="A JSON object of client members (the Config API's; '-' reads stdin).",
)


@clients_group.command("create")
@FROM_FILE
@click.option("--name", "client_name", default=None, help="client_name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for several.")
@click.option("--grant-type", "grant_types", multiple=True, help="Default: authorization_code.")
@click.option("--response-type", "response_types", multiple=True, help="Default: code.")
@click.option("--scope", "scopes", multiple=True, help="Repeat, or space-separate.")
@click.option(
    "--auth-method",
    type=click.Choice(["client_secret_basic", "client_secret_post", "none", "private_key_jwt"]),
    default=None,
    help="token_endpoint_auth_method (default: client_secret_basic)",
)
@target_options
def clients_create(
    members_file: IO[str] | None,
    client_name: str | None,
    redirect_uris: tuple[str, ...],
    grant_types: tuple[str, ...],
    response_types: tuple[str, ...],
    scopes: tuple[str, ...],
    auth_method: str | None,
    target: Target,
) -> None:
    """Create a client; a confidential client's secret is printed once. Options override
    the members of --from-file."""
    body = _members_file(members_file)
    if client_name is not None:
        body["client_name"] = client_name
    if redirect_uris:
        body["redirect_uris"] = list(redirect_uris)
    if auth_method is not None:
        body["token_endpoint_auth_method"] = auth_method
    if scopes:
        body["scope"] = [s for item in scopes for s in item.split()]
    if grant_types:
        body["grant_types"] = list(grant_types)
        if not response_types and "authorization_code" not in grant_types:
            body["response_types"] = []
    if response_types:
        body["response_types"] = list(response_types)
    _echo_client(target.run(lambda b: b.create_client(body)))


@clients_group.command("update")
@click.argument("client")
@FROM_FILE
@target_options
def clients_update(client: str, members_file: IO[str] | None, target: Target) -> None:
    """Replace a client's members (CLIENT is its client_id) with those of --from-file, as
    the Config API's PUT does: a member left out returns to its default. Start from
    `clients show CLIENT --json`. A secret issued by the change is printed once."""
    if members_file is None:
        raise click.UsageError("clients update needs --from-file")
    body = _members_file(members_file)
    for name in READ_ONLY_CLIENT_MEMBERS:  # what `show --json` prints that cannot be set
        body.pop(name, None)
    _echo_client(target.run(lambda b: b.update_client(client, body)))


@clients_group.command("delete")
@click.argument("client")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@target_options
def clients_delete(client: str, yes: bool, target: Target) -> None:
    """Delete a client (CLIENT is its client_id) and revoke its tokens."""

    async def run(backend: AdminBackend) -> None:
        found = await backend.get_client(client)  # an unknown client fails before asking
        name = f"{found['client_name']} ({client})" if found["client_name"] else client
        if not yes:
            click.confirm(f"Delete client {name} and revoke its tokens?", abort=True)
        await backend.delete_client(client)

    target.run(run)
    click.echo(f"deleted client {client}")


@clients_group.group("initial-tokens")
def initial_tokens_group() -> None:
    """Initial access tokens for registration (RFC 7591 §3), needed while
    dynamicRegistrationPolicy is initial_access_token."""


@initial_tokens_group.command("create")
@click.option("--description", default="", help="What the token is for (shown in listings).")
@click.option(
    "--expires-in", type=int, default=86400, show_default=True, help="Seconds until it expires."
)
@click.option("--max-uses", type=int, default=1, show_default=True, help="Clients it may register.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole response as JSON.")
@target_options
def initial_tokens_create(
    description: str, expires_in: int, max_uses: int, as_json: bool, target: Target
) -> None:
    """Issue a token. Its value is printed once, alone on standard output (the details go to
    standard error); authgate keeps only its hash."""
    body = {"description": description, "expires_in": expires_in, "max_uses": max_uses}
    issued = target.run(lambda b: b.create_initial_token(body))
    if as_json:
        echo_json(issued)
        return
    click.echo(
        f"Initial access token {issued['token_id']}: {issued['max_uses']} use(s), expires at "
        f"{int(issued['expires_at'])}. The value below is shown once; authgate keeps only its "
        "hash. Send it as 'Authorization: Bearer <value>' when registering.",
        err=True,
    )
    click.echo(issued["initial_access_token"])


@initial_tokens_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of rows.")
@target_options
def initial_tokens_list(as_json: bool, target: Target) -> None:
    """List tokens, newest first: token_id, state, uses/max_uses, expires_at, created_by,
    description (tab-separated). Never their values."""
    found = target.run(lambda b: b.list_initial_tokens())
    if as_json:
        echo_json(found)
        return
    echo_rows([(t["token_id"], t["state"], f"{t['uses']}/{t['max_uses']}",
                int(t["expires_at"]), t["created_by"] or "-", t["description"] or "-")
               for t in found])  # fmt: skip


@initial_tokens_group.command("revoke")
@click.argument("token_id")
@target_options
def initial_tokens_revoke(token_id: str, target: Target) -> None:
    """Revoke a token (TOKEN_ID as listed): no registration can use it any more."""
    target.run(lambda b: b.revoke_initial_token(token_id))
    click.echo(f"revoked initial access token {token_id}")


@click.group("users")
def users_group() -> None:
    """Manage users."""


@users_group.command("list")
@click.option("--search", default=None, help="Only users whose name, email or id contains this.")
@json_option
@target_options
def users_list(search: str | None, as_json: bool, target: Target) -> None:
    """List users: username, user_id, email, state (tab-separated; --json: every member)."""
    found = target.run(lambda b: b.list_users(search))
    if as_json:
        echo_json(found)
        return
    rows = [(u["username"], u["user_id"], u["email"] or "-",
             "enabled" if u["enabled"] else "disabled") for u in found]  # fmt: skip
    echo_rows(rows)


@users_group.command("show")
@click.argument("user")
@json_option
@target_options
def users_show(user: str, as_json: bool, target: Target) -> None:
    """Print a user (by username or id), one member per line (--json: as JSON)."""
    found = target.run(lambda b: b.get_user(user))
    if as_json:
        echo_json(found)
    else:
        echo_members(found)


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


users_group.add_command(grants_group)
users_group.add_command(sessions_group)
users_group.add_command(factors_group)
users_group.add_command(passkeys_group)


@click.group("keys")
def keys_group() -> None:
    """Signing keys."""


@keys_group.command("list")
@json_option
@target_options
def keys_list(as_json: bool, target: Target) -> None:
    """List signing keys: kid, alg, status, when it signs from, when it leaves the JWKS
    (tab-separated, times in UTC; --json: every member, times as Unix seconds)."""
    keys = target.run(lambda b: b.list_keys())
    if as_json:
        echo_json(keys)
        return
    echo_rows([(k["kid"], k["alg"], k["status"], format_time(k["signs_from"]),
                format_time(k["expires_at"])) for k in keys])  # fmt: skip


@keys_group.command("rotate")
@target_options
def keys_rotate(target: Target) -> None:
    """Publish a new key per algorithm; it signs after the publish delay, and the old keys
    stay in the JWKS until the tokens they signed have expired."""
    rotation = target.run(lambda b: b.rotate_keys())
    for key in rotation["keys"]:
        click.echo(f"{key['alg']}: {key['kid']} signs from {format_time(key['signs_from'])}")
        for kid in key["retiring"]:
            click.echo(f"{key['alg']}: {kid} leaves the JWKS at {format_time(key['retire_at'])}")
    for kid in rotation["removed"]:
        click.echo(f"{kid} removed")


@click.group("events")
def events_group() -> None:
    """Security events: failed logins, rate limits, replays, client changes."""


@events_group.command("list")
@click.option("--kind", default=None, help="Only events of this kind (e.g. rate_limited).")
@click.option(
    "--limit", type=click.IntRange(1, 500), default=50, show_default=True, help="How many."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of rows.")
@target_options
def events_list(kind: str | None, limit: int, as_json: bool, target: Target) -> None:
    """List security events, newest first: time (UTC), kind, source, client_id, user_id,
    detail (tab-separated)."""
    found = target.run(lambda b: b.list_events(kind, limit))
    if as_json:
        echo_json(found)
        return
    echo_rows([(_utc(e["at"]), e["kind"], e["source"] or "-", e["client_id"] or "-",
                e["user_id"] or "-", e["detail"] or "-") for e in found])  # fmt: skip


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


COMMANDS = (
    config_group,
    clients_group,
    users_group,
    keys_group,
    events_group,
    lockouts_group,
    providers_group,
)
