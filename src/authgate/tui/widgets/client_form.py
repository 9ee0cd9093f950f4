"""The dialog that creates or edits a client.

It edits the members an operator changes most; the other members of an existing client are
sent back unchanged (the Config API's PUT replaces the whole client). A validation error from
the server is shown in the dialog, which stays open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from authgate.admin.schemas import ClientIn
from authgate.admin.values import parse_lines
from authgate.appconfig import IMPLEMENTED_AUTH_METHODS, IMPLEMENTED_GRANT_TYPES

RESPONSE_TYPES = ("code", "token", "id_token")
#: Sends the client; returns (stored client, None) or (None, error message).
SaveClient = Callable[[dict[str, Any]], Awaitable[tuple[dict[str, Any] | None, str | None]]]


def editable(client: dict[str, Any] | None) -> dict[str, Any]:
    """The members of ``client`` that the Config API accepts back."""
    if client is None:
        return {}
    return {k: v for k, v in client.items() if k in ClientIn.model_fields}


class ClientForm(ModalScreen[dict[str, Any] | None]):
    """Returns the stored client (with ``client_secret`` when one was issued), or None."""

    DEFAULT_CSS = """
    ClientForm { align: center middle; }
    ClientForm > Vertical {
        width: 78; max-width: 100%; height: 100%; border: thick $primary; background: $surface;
    }
    ClientForm #title { text-style: bold; padding: 0 1; }
    ClientForm VerticalScroll { height: 1fr; padding: 0 1; }
    ClientForm Label { margin-top: 1; }
    ClientForm SelectionList { height: auto; max-height: 6; }
    ClientForm TextArea { height: 4; }
    ClientForm #error { color: $error; padding: 0 1; }
    ClientForm Horizontal { height: auto; align-horizontal: right; }
    ClientForm Button { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, client: dict[str, Any] | None, save: SaveClient) -> None:
        super().__init__()
        self.client = client
        self.base = editable(client)
        self._save = save

    def compose(self) -> ComposeResult:
        b = self.base
        grants = set(b.get("grant_types", ["authorization_code"]))
        responses = set(b.get("response_types", ["code"]))
        title = f"Edit client {self.client['client_id']}" if self.client else "New client"
        with Vertical():
            yield Label(title, id="title")
            with VerticalScroll():
                yield Label("Client name")
                yield Input(b.get("client_name", ""), id="client_name")
                yield Label("Token endpoint auth method")
                yield Select([(m, m) for m in IMPLEMENTED_AUTH_METHODS], allow_blank=False,
                             value=b.get("token_endpoint_auth_method", "client_secret_basic"),
                             id="token_endpoint_auth_method")  # fmt: skip
                yield Label("Grant types")
                yield SelectionList[str](
                    *((g, g, g in grants) for g in IMPLEMENTED_GRANT_TYPES), id="grant_types"
                )
                yield Label("Response types")
                yield SelectionList[str](
                    *((r, r, r in responses) for r in RESPONSE_TYPES), id="response_types"
                )
                yield Label("Redirect URIs (one per line)")
                yield TextArea("\n".join(b.get("redirect_uris", [])), id="redirect_uris")
                yield Label("Scopes (space-separated)")
                yield Input(" ".join(b.get("scope", [])), id="scope")
                yield Checkbox(
                    "Require PKCE", value=b.get("require_pkce", False), id="require_pkce"
                )
                yield Checkbox("Disabled", value=b.get("disabled", False), id="disabled")
            yield Static("", id="error")
            with Horizontal():
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#client_name", Input).focus()

    def body(self) -> dict[str, Any]:
        """The client to send: the untouched members plus what the form edits."""
        method = self.query_one("#token_endpoint_auth_method", Select).value
        return {
            **self.base,
            "client_name": self.query_one("#client_name", Input).value.strip(),
            "token_endpoint_auth_method": method,
            "grant_types": list(self.query_one("#grant_types", SelectionList).selected),
            "response_types": list(self.query_one("#response_types", SelectionList).selected),
            "redirect_uris": parse_lines(self.query_one("#redirect_uris", TextArea).text),
            "scope": self.query_one("#scope", Input).value.split(),
            "require_pkce": self.query_one("#require_pkce", Checkbox).value,
            "disabled": self.query_one("#disabled", Checkbox).value,
        }

    async def action_save(self) -> None:
        stored, error = await self._save(self.body())
        if error is not None:
            self.query_one("#error", Static).update(error)
            return
        self.dismiss(stored)

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()
