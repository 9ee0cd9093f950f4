"""Generate the configuration reference from the models that define it.

Writes ``docs/configuration.md`` (every property of the auth-server configuration document,
``authgate.appconfig.AppConfiguration``, and every process setting, ``authgate.settings.
Settings``) and refreshes the same tables between the ``generated`` markers in README.md.

    python scripts/gen_config_docs.py          # write the files
    python scripts/gen_config_docs.py --check  # exit 1 if a file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
import click
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from authgate.appconfig import AppConfiguration, ClientAuthenticationFilter
from authgate.appconfig_protection import AuthenticationProtectionConfiguration
from authgate.appconfig_registration import TrustedSoftwareIssuer
from authgate.appconfig_security import CorsConfigurationFilter
from authgate.cli import main as cli_main
from authgate.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DOC = ROOT / "docs" / "configuration.md"
README = ROOT / "README.md"
SIMPLE_TYPES: dict[Any, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    Path: "path",
}
PLURALS = frozenset({*SIMPLE_TYPES.values(), "filter object", "object"})


def type_name(annotation: Any) -> str:
    """A reader's name for a field type: ``integer``, ``list of "S256" | "plain"``, ..."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin is dict:
        return "JSON object"
    if origin is list:
        item = type_name(args[0])
        return f"list of {item}s" if item in PLURALS else f"list of {item}"
    if origin in (typing.Union, types.UnionType):
        names = [type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in args else "")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "filter object" if annotation.__name__.endswith("Filter") else "object"
    return SIMPLE_TYPES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def bounds(field: FieldInfo) -> str:
    limits = []
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            limits.append(f"≥ {item.ge}")
        elif isinstance(item, annotated_types.Gt):
            limits.append(f"> {item.gt}")
        elif isinstance(item, annotated_types.Le):
            limits.append(f"≤ {item.le}")
    return f", {' and '.join(limits)}" if limits else ""


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "(required)"
    if field.default_factory is not None:
        first = field.get_default(call_default_factory=True)
        if first != field.get_default(call_default_factory=True):
            return "random, generated at first start"
        value: Any = first
    else:
        value = field.default
    if value is None:
        return "(unset)"
    if isinstance(value, Path):
        value = str(value)
    return f"`{json.dumps(to_jsonable_python(value))}`"


def cell(text: str) -> str:
    """One line of Markdown table cell: ``|`` escaped, and ``<``/``>`` outside code spans so
    that ``<host>`` is not taken for an HTML tag."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def description(name: str, field: FieldInfo) -> str:
    if not field.description:
        raise SystemExit(f"{name} has no description: add one to its Field(...)")
    return cell(field.description)


def model_table(model: type[BaseModel]) -> list[str]:
    rows = ["| Property | Type | Default | Description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        kind = type_name(field.annotation) + bounds(field)
        rows.append(
            f"| `{name}` | {cell(kind)} | {default_text(field)} | {description(name, field)} |"
        )
    return rows


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def cli_flags() -> dict[str, tuple[str, list[str]]]:
    """Environment variable -> (its command-line flag, the commands that take it)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for command_name, command in _commands(cli_main):
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(param.envvar, str):
                found.setdefault(param.envvar, (param.opts[0], []))[1].append(command_name)
    return found


def settings_table() -> list[str]:
    flags = cli_flags()
    rows = [
        "| Environment variable | Flag (commands) | Default | Description |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        env = field.alias or f"AUTHGATE_{name.upper()}"
        flag, commands = flags.get(env, ("", []))
        where = f"`{flag}` ({', '.join(commands)})" if flag else "—"
        rows.append(f"| `{env}` | {where} | {default_text(field)} | {description(name, field)} |")
    return rows


def blocks() -> dict[str, list[str]]:
    return {
        "config-properties": model_table(AppConfiguration),
        "process-settings": settings_table(),
    }


def configuration_md() -> str:
    generated = blocks()
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by scripts/gen_config_docs.py from authgate.appconfig and",
        "     authgate.settings; do not edit by hand: run `make docs`. -->",
        "",
        "## The auth-server configuration document",
        "",
        "One JSON document with Janssen's property names, stored in the database and shared by",
        "every instance. Unknown properties are refused. Which names and defaults match Janssen's,",
        "and which properties are authgate's own:",
        "[Janssen compatibility §8](janssen-compatibility.md#8-the-configuration-document).",
        "",
        *generated["config-properties"],
        "",
        "### Entries of `clientAuthenticationFilters`",
        "",
        *model_table(ClientAuthenticationFilter),
        "",
        "### Entries of `corsConfigurationFilters`",
        "",
        "What each default means and how to change it: [security defaults](security.md).",
        "",
        *model_table(CorsConfigurationFilter),
        "",
        "### Entries of `softwareStatementTrustedIssuers`",
        "",
        "How statements are checked: [registration policy](security.md#registration-policy).",
        "",
        *model_table(TrustedSoftwareIssuer),
        "",
        "### Members of `authenticationProtectionConfiguration`",
        "",
        "How counting, waits, lockouts and the device cookie work: [brute-force protection]"
        "(security.md#brute-force-protection).",
        "",
        *model_table(AuthenticationProtectionConfiguration),
        "",
        "## Process settings",
        "",
        "Read once at start from `AUTHGATE_*` environment variables or command-line flags",
        "(a flag wins over its variable).",
        "",
        *generated["process-settings"],
        "",
    ]
    return "\n".join(lines)


def marker(name: str, end: bool = False) -> str:
    return f"<!-- generated:{name}:{'end' if end else 'start'} -->"


def refreshed_readme(text: str) -> str:
    for name, rows in blocks().items():
        start, end = marker(name), marker(name, end=True)
        if text.count(start) != 1 or text.count(end) != 1:
            raise SystemExit(f"README.md must contain {start} and {end} once each")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + start + "\n" + "\n".join(rows) + "\n" + end + tail
    return text


def outputs() -> dict[Path, str]:
    """Each generated file and the content it should have."""
    return {
        CONFIG_DOC: configuration_md(),
        README: refreshed_readme(README.read_text(encoding="utf-8")),
    }


def stale() -> list[Path]:
    """The generated files whose content differs from what this script would write."""
    return [
        path
        for path, content in outputs().items()
        if not path.exists() or path.read_text(encoding="utf-8") != content
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date = stale()
        for path in out_of_date:
            print(f"{path.relative_to(ROOT)} is out of date: run make docs", file=sys.stderr)
        return 1 if out_of_date else 0
    for path, content in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
