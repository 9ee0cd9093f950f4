"""Reading the process settings for a command, naming where each value came from.

A bad value is reported with the name the user set it by: the command-line option
(``--issuer``) when it came from the command line, else the environment variable
(``AUTHGATE_ISSUER``). Messages never show the value of a secret setting.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

import click
from click.core import ParameterSource
from pydantic import SecretStr, ValidationError

from authgate.settings import Settings
from authgate.startup.errors import StartupError

#: Settings whose values never appear in a message (a database URL may carry a password).
SECRET_SETTINGS = frozenset(
    {"admin_password", "admin_client_secret", "database_url", "smtp_password"}
)
#: Secret variables scrubbed even when no setting was loaded from them.
SECRET_VARIABLES = (
    "AUTHGATE_ADMIN_PASSWORD",
    "AUTHGATE_ADMIN_CLIENT_SECRET",
    "AUTHGATE_SMTP_PASSWORD",
)
#: Where :func:`load_settings` keeps secret values, for :func:`scrub` (``click.Context.meta``).
SECRETS_KEY = "authgate.startup.secrets"


def env_names(field: str) -> tuple[str, ...]:
    """The environment variables that set ``field`` (its alias first)."""
    info = Settings.model_fields[field]
    own = f"AUTHGATE_{field.upper()}"
    return (info.alias, own) if info.alias and info.alias != own else (own,)


def _field_of(loc: str) -> str | None:
    if loc in Settings.model_fields:
        return loc
    for field in Settings.model_fields:
        if loc.upper() in env_names(field):
            return field
    return None


def _option(ctx: click.Context | None, field: str) -> click.Option | None:
    if ctx is None:
        return None
    names = env_names(field)
    for param in ctx.command.params:
        if isinstance(param, click.Option) and param.envvar in names:
            return param
    return None


def setting_label(field: str, ctx: click.Context | None = None) -> str:
    """How the user set ``field``: ``--issuer``, ``AUTHGATE_ISSUER``, or, when it has its
    default, both ways to set it (``--data-dir / AUTHGATE_DATA_DIR``)."""
    ctx = ctx or click.get_current_context(silent=True)
    option = _option(ctx, field)
    if ctx is not None and option is not None and option.name is not None:
        source = ctx.get_parameter_source(option.name)
        if source is ParameterSource.COMMANDLINE:
            return option.opts[0]
        if source is ParameterSource.ENVIRONMENT and isinstance(option.envvar, str):
            return option.envvar
    for name in env_names(field):
        if name in os.environ:
            return name
    ways = ([option.opts[0]] if option is not None else []) + [env_names(field)[0]]
    return " / ".join(ways)


def _messages(exc: ValidationError, ctx: click.Context | None) -> Iterator[str]:
    for error in exc.errors(include_input=False, include_url=False):
        loc = str(error["loc"][0]) if error["loc"] else ""
        field = _field_of(loc)
        label = setting_label(field, ctx) if field else loc
        yield f"{label}: {error['msg'].removeprefix('Value error, ')}"


def _remember_secrets(ctx: click.Context | None, settings: Settings) -> None:
    if ctx is None:
        return
    found: list[str] = ctx.meta.setdefault(SECRETS_KEY, [])
    for field in SECRET_SETTINGS:
        value = getattr(settings, field)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value:
            found.append(str(value))
    if settings.database_url and "@" in settings.database_url:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            password = make_url(settings.database_url).password
        except ArgumentError:  # an unparsable URL is reported by the database checks
            password = None
        if password:
            found.append(str(password))


def load_settings(values: Mapping[str, Any]) -> Settings:
    """The settings from ``values`` (options given; ``None`` means unset) and ``AUTHGATE_*``.

    Raises:
        StartupError: naming each invalid setting as the user set it (exit status 2).
    """
    ctx = click.get_current_context(silent=True)
    try:
        settings = Settings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        problems = list(_messages(exc, ctx))
        raise StartupError("; ".join(problems), exit_code=2) from None
    _remember_secrets(ctx, settings)
    return settings


def scrub(text: str, ctx: click.Context | None) -> str:
    """``text`` with every secret setting's value of this command replaced by ``***``."""
    secrets: list[str] = [] if ctx is None else list(ctx.meta.get(SECRETS_KEY, []))
    for name in (
        "AUTHGATE_ADMIN_PASSWORD",
        "AUTHGATE_ADMIN_CLIENT_SECRET",
        "AUTHGATE_SMTP_PASSWORD",
    ):
        if os.environ.get(name):
            secrets.append(os.environ[name])
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
