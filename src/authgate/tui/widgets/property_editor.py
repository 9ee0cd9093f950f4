"""The dialog that edits one configuration property with a widget fitting its type.

Checkbox for booleans, a number field for integers, a text field for strings, a choice for
enumerations, a list editor (one item per line) for lists of strings, and a JSON editor for
everything else (docs/janssen-compatibility.md §9.2). Save calls ``save``; an error from the
server is shown in the dialog, which stays open, and nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from authgate.admin.values import Kind, parse_lines, parse_value

#: Sends the new value; returns an error message, or None when saved.
SaveProperty = Callable[[str, Any], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class SavedProperty:
    name: str
    value: Any


def _editor(name: str, kind: Kind, value: Any) -> Widget:
    if kind.name == "boolean":
        return Checkbox(name, value=bool(value), id="value")
    if kind.name == "enum":
        options = [(c, c) for c in kind.choices]
        return Select(options, value=value if value in kind.choices else Select.NULL,
                      allow_blank=False, id="value")  # fmt: skip
    if kind.name == "integer":
        return Input(str(value), type="integer", id="value")
    if kind.name == "number":
        return Input(str(value), type="number", id="value")
    if kind.name == "string":
        return Input("" if value is None else str(value), id="value")
    if kind.name == "list":
        return TextArea("\n".join(str(v) for v in value or ()), id="value")
    return TextArea(json.dumps(value, indent=2), id="value")


def kind_label(kind: Kind) -> str:
    return {
        "boolean": "true when ticked",
        "list": "one item per line",
        "json": "JSON",
    }.get(kind.name, kind.name)


class PropertyEditor(ModalScreen[SavedProperty | None]):
    DEFAULT_CSS = """
    PropertyEditor { align: center middle; }
    PropertyEditor > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PropertyEditor #name { text-style: bold; }
    PropertyEditor #description { color: $text-muted; }
    PropertyEditor TextArea { height: 8; }
    PropertyEditor #error { color: $error; }
    PropertyEditor Horizontal { height: auto; align-horizontal: right; }
    PropertyEditor Button { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, name: str, value: Any, kind: Kind, save: SaveProperty) -> None:
        super().__init__()
        self.property_name = name
        self.value = value
        self.kind = kind
        self._save = save

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self.property_name} ({kind_label(self.kind)})", id="name")
            if self.kind.description:
                yield Static(self.kind.description, id="description")
            yield _editor(self.property_name, self.kind, self.value)
            yield Static("", id="error")
            with Horizontal():
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#value").focus()

    def read_value(self) -> Any:
        """The edited value as JSON.

        Raises:
            ValueError: the text does not fit the property's type.
        """
        widget = self.query_one("#value")
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            return widget.value
        if isinstance(widget, Input):
            return parse_value(self.kind, widget.value)
        assert isinstance(widget, TextArea)
        if self.kind.name == "list":
            return parse_lines(widget.text)
        return parse_value(Kind("json"), widget.text)

    def show_error(self, message: str) -> None:
        self.query_one("#error", Static).update(message)

    async def action_save(self) -> None:
        try:
            value = self.read_value()
        except ValueError as exc:
            self.show_error(str(exc))
            return
        error = await self._save(self.property_name, value)
        if error is not None:
            self.show_error(error)
            return
        self.dismiss(SavedProperty(self.property_name, value))

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()
