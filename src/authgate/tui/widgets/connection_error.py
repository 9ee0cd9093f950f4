"""Shown when the server cannot be reached or refuses the admin credentials."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ConnectionErrorScreen(ModalScreen[bool]):
    """Returns True to retry, False to quit."""

    DEFAULT_CSS = """
    ConnectionErrorScreen { align: center middle; }
    ConnectionErrorScreen > Vertical {
        width: 72; max-width: 100%; height: auto; border: thick $error; background: $surface;
        padding: 1 2;
    }
    ConnectionErrorScreen #message { color: $error; margin: 1 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "answer(True)", "Retry"),
        Binding("q,escape", "answer(False)", "Quit"),
    ]

    def __init__(self, url: str, message: str) -> None:
        super().__init__()
        self.url = url
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Cannot use the Config API at {self.url}")
            yield Static(self.message, id="message")
            yield Label("r: retry    q: quit")

    def action_answer(self, retry: bool) -> None:
        self.dismiss(retry)
