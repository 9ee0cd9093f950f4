"""A read-only dialog that shows a JSON value (client metadata, an audit entry, a secret)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea


class JsonView(ModalScreen[None]):
    """Shows ``value`` pretty-printed; Escape closes it."""

    DEFAULT_CSS = """
    JsonView { align: center middle; }
    JsonView > Vertical {
        width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    JsonView .title { text-style: bold; }
    JsonView .note { color: $warning; }
    JsonView TextArea { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, title: str, value: Any, note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            if self.note:
                yield Static(self.note, classes="note")
            yield TextArea(json.dumps(self.value, indent=2, sort_keys=True), read_only=True)
            yield Label("Esc: close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
