"""``authgate providers add|list|show|update|remove`` and ``authgate providers links
list|remove``: upstream identity providers from the command line (the local database, or a
server's Config API with ``--url``; docs/federation.md).

The provider's client secret is never an argument (it would show in the process list): it is
read from ``AUTHGATE_PROVIDER_SECRET`` or, with ``--secret-stdin``, from standard input.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from authgate.admin.cli_support import Target, echo_json, echo_members, echo_rows, target_options

SECRET_ENV = "AUTHGATE_PROVIDER_SECRET"  # noqa: S105 - an environment variable's name


def _secret(from_stdin: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline().strip()
        if not line:
            raise click.ClickException("--secret-stdin: standard input holds no secret")
        return line
    return os.environ.get(SECRET_ENV) or None


def _members(options: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in options.items():
        if value is None or value == ():
            continue
        if name in ("scopes", "domains"):
            body[name] = [v for item in value for v in item.replace(",", " ").split()]
        elif name == "mapping":
            pairs = [item.split("=", 1) for item in value]
            if any(len(p) != 2 for p in pairs):
                raise click.ClickException("--map takes FIELD=PATH, e.g. sub=id")
            body["mapping"] = {k: v for k, v in pairs}
        else:
            body[name] = value
    return body


def _provider_options(command: Any) -> Any:
    options = [
        click.option("--issuer", default=None, help="OpenID Provider issuer (discovery)."),
        click.option("--authorization-endpoint", default=None),
        click.option("--token-endpoint", default=None),
        click.option("--userinfo-endpoint", default=None, help="Userinfo or user API URL."),
        click.option(
            "--upstream-client-id", "client_id_", default=None, help="authgate's client id there."
        ),
        click.option(
            "--client-auth",
            type=click.Choice(["client_secret_basic", "client_secret_post", "private_key_jwt"]),
            default=None,
        ),
        click.option("--scope", "scopes", multiple=True, help="Scopes to ask for (repeatable)."),
        click.option("--display-name", default=None, help="The button's label."),
        click.option("--icon", default=None, help="https URL or data:image/... URI."),
        click.option("--enabled/--disabled", default=None),
        click.option("--provision/--no-provision", default=None, help="Just-in-time users."),
        click.option(
            "--trust-email/--no-trust-email",
            default=None,
            help="Link by email when the provider says it is verified.",
        ),
        click.option("--userinfo/--no-userinfo", "use_userinfo", default=None),
        click.option(
            "--response-mode",
            type=click.Choice(["query", "form_post"]),
            default=None,
            help="How the provider answers the callback (Apple: form_post).",
        ),
        click.option("--domain", "domains", multiple=True, help="login_hint email domain."),
        click.option("--map", "mapping", multiple=True, help="FIELD=PATH claim mapping."),
        click.option(
            "--secret-stdin",
            is_flag=True,
            help=f"Read the client secret from stdin ({SECRET_ENV}).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _body(options: dict[str, Any]) -> dict[str, Any]:
    secret = _secret(options.pop("secret_stdin"))
    options["client_id"] = options.pop("client_id_")
    body = _members(options)
    if secret is not None:
        body["client_secret"] = secret
    return body


def _show(provider: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(provider)
    else:
        echo_members(provider)


@click.group("providers")
def providers_group() -> None:
    """Upstream identity providers users can sign in with (docs/federation.md)."""


@providers_group.command("add")
@click.argument("alias")
@click.option(
    "--preset",
    type=click.Choice(["google", "microsoft", "apple", "github", "gitlab"]),
    default=None,
    help="Fill endpoints, scopes and mapping of a common provider.",
)
@click.option("--kind", type=click.Choice(["oidc", "oauth2"]), default=None)
@_provider_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@target_options
def providers_add(
    alias: str,
    preset: str | None,
    kind: str | None,
    as_json: bool,
    target: Target,
    **options: Any,
) -> None:
    """Add provider ALIAS; prints it with the redirect URI to register upstream."""
    body = {"alias": alias, **_body(options)}
    if preset:
        body["preset"] = preset
    if kind:
        body["kind"] = kind
    added = target.run(lambda b: b.add_provider(body))
    _show(added, as_json)


@providers_group.command("update")
@click.argument("alias")
@_provider_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@target_options
def providers_update(alias: str, as_json: bool, target: Target, **options: Any) -> None:
    """Change the given members of provider ALIAS."""
    body = _body(options)
    changed = target.run(lambda b: b.update_provider(alias, body))
    _show(changed, as_json)


@providers_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of rows.")
@target_options
def providers_list(as_json: bool, target: Target) -> None:
    """List providers: alias, kind, enabled, display name, issuer or token endpoint."""
    found = target.run(lambda b: b.list_providers())
    if as_json:
        echo_json(found)
        return
    echo_rows([(p["alias"], p["kind"], "enabled" if p["enabled"] else "disabled",
                p["display_name"] or "-", p["issuer"] or p["token_endpoint"] or "-")
               for p in found])  # fmt: skip


@providers_group.command("show")
@click.argument("alias")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@target_options
def providers_show(alias: str, as_json: bool, target: Target) -> None:
    """Show provider ALIAS (never its client secret)."""
    _show(target.run(lambda b: b.get_provider(alias)), as_json)


@providers_group.command("remove")
@click.argument("alias")
@target_options
def providers_remove(alias: str, target: Target) -> None:
    """Remove provider ALIAS and every link to it."""
    target.run(lambda b: b.remove_provider(alias))
    click.echo(f"removed identity provider {alias}")


@providers_group.group("links")
def links_group() -> None:
    """Links of local users to upstream identities."""


@links_group.command("list")
@click.option("--user-id", default=None)
@click.option("--alias", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of rows.")
@target_options
def links_list(user_id: str | None, alias: str | None, as_json: bool, target: Target) -> None:
    """List links: alias, upstream subject, user_id, email, linked_at."""
    found = target.run(lambda b: b.list_identities(user_id, alias))
    if as_json:
        echo_json(found)
        return
    echo_rows([(i["alias"], i["subject"], i["user_id"], i["email"] or "-", int(i["linked_at"]))
               for i in found])  # fmt: skip


@links_group.command("remove")
@click.argument("alias")
@click.argument("subject")
@target_options
def links_remove(alias: str, subject: str, target: Target) -> None:
    """Unlink the upstream identity SUBJECT of provider ALIAS."""
    target.run(lambda b: b.remove_identity(alias, subject))
    click.echo(f"removed the link of {alias} identity {subject}")
