"""Configuration property kinds (from the JSON Schema) and typed parsing of text values.

Shared by the CLI (``authgate config set NAME VALUE``) and the TUI's edit dialog: the kind
decides how text is turned into a JSON value (and which widget edits it). The server still
validates every value; this only gets the JSON type right.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

KindName = Literal["boolean", "integer", "number", "string", "enum", "list", "json"]

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


@dataclass(frozen=True, slots=True)
class Kind:
    """How a property is edited: its kind, enum choices, a description, and whether it is a
    secret that can be set but is never shown (JSON Schema ``writeOnly``)."""

    name: KindName
    choices: tuple[str, ...] = ()
    description: str = ""
    write_only: bool = False


def _kind(schema: dict[str, Any]) -> Kind:
    kind = _value_kind(schema)
    if schema.get("writeOnly") is True:
        return Kind(kind.name, kind.choices, kind.description, write_only=True)
    return kind


def _value_kind(schema: dict[str, Any]) -> Kind:
    text = str(schema.get("description", ""))
    if "enum" in schema:
        return Kind("enum", tuple(str(c) for c in schema["enum"]), text)
    if "const" in schema:
        return Kind("enum", (str(schema["const"]),), text)
    kind = schema.get("type")
    if kind in ("boolean", "integer", "number", "string"):
        return Kind(kind, (), text)
    if kind == "array":
        items = schema.get("items", {})
        if items.get("type") in ("string", "integer") or "enum" in items:
            return Kind("list", (), text)
    return Kind("json", (), text)


def property_kinds(schema: dict[str, Any]) -> dict[str, Kind]:
    """The kind of every property of an object JSON Schema (e.g. ``AppConfiguration``)."""
    return {name: _kind(prop) for name, prop in schema.get("properties", {}).items()}


def infer_kind(value: Any) -> Kind:
    """A kind guessed from a value, for properties the schema does not describe."""
    if isinstance(value, bool):
        return Kind("boolean")
    if isinstance(value, int):
        return Kind("integer")
    if isinstance(value, float):
        return Kind("number")
    if isinstance(value, str):
        return Kind("string")
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value) and value:
        return Kind("list")
    return Kind("json")


def parse_value(kind: Kind, text: str) -> Any:
    """The JSON value that ``text`` means for a property of ``kind``.

    Lists accept a JSON array, or items separated by commas or newlines.

    Raises:
        ValueError: with a message saying what was expected.
    """
    stripped = text.strip()
    if kind.name == "boolean":
        if stripped.lower() in _TRUE:
            return True
        if stripped.lower() in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if kind.name == "integer":
        try:
            return int(stripped)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
    if kind.name == "number":
        try:
            return float(stripped)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if kind.name in ("string", "enum"):
        return text
    if kind.name == "list" and not stripped.startswith("["):
        return [item.strip() for item in stripped.replace("\n", ",").split(",") if item.strip()]
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected JSON: {exc}") from None


def format_value(value: Any) -> str:
    """A one-line display of a property value (strings bare, everything else as JSON)."""
    return value if isinstance(value, str) else json.dumps(value)


def parse_lines(text: str) -> list[str]:
    """A list edited one item per line (blank lines ignored)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def format_time(epoch: float | None) -> str:
    """A Unix time as ISO 8601 in UTC to the second (``2026-12-05T14:50:31Z``); ``-`` for
    none. Text output shows times so; JSON output keeps the numbers."""
    if epoch is None:
        return "-"
    moment = datetime.fromtimestamp(epoch, tz=UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def closest(name: str, names: Iterable[str]) -> str | None:
    """The known name closest to a misspelled ``name`` (case-insensitive), if any is close."""
    by_folded = {n.lower(): n for n in names}
    found = difflib.get_close_matches(name.lower(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None
