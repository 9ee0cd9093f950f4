"""The Identity providers screen (``i`` on the Sessions tab, next to the Lockouts screen):
upstream identity providers users can sign in with, their state (enabled or not,
just-in-time users, trusted email); enable or disable one, or remove it (with its links). A
screen rather than another tab, so the tab bar keeps fitting 80 columns. Providers are added
with ``authgate providers add`` (docs/federation.md)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from authgate.admin.client import AdminClient
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.table_pane import TablePane


def _yes(value: Any) -> str:
    return "yes" if value else "no"


class ProvidersPane(TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_enabled", "Enable/disable"),
        Binding("d", "remove", "Remove"),
    ]
    COLUMNS = (
        ("Alias", "alias"),
        ("Name", "display_name"),
        ("Kind", "kind"),
        ("State", "state"),
        ("JIT users", "jit"),
        ("Trust email", "trust"),
        ("Issuer or token endpoint", "where"),
    )
    KEY = "alias"
    TITLE = "Provider"
    SEARCH = False

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        found = await self.client.list_providers()
        for item in found:
            item["state"] = "enabled" if item["enabled"] else "disabled"
            item["jit"] = _yes(item["provision"])
            item["trust"] = _yes(item["trust_email"])
            item["where"] = item["issuer"] or item["token_endpoint"] or "-"
        return found

    def action_toggle_enabled(self) -> None:
        item = self.selected()
        if item is None:
            return
        enable = not item["enabled"]

        async def confirmed(answer: bool | None) -> None:
            if answer:
                change = self.client.update_provider(item["alias"], {"enabled": enable})
                await self.call(change, f"{item['alias']} {'enabled' if enable else 'disabled'}")

        verb = "Enable" if enable else "Disable (its button leaves the login page)"
        self.app.push_screen(ConfirmDialog(f"{verb} {item['alias']}?"), confirmed)

    def action_remove(self) -> None:
        item = self.selected()
        if item is None:
            return

        async def confirmed(answer: bool | None) -> None:
            if answer:
                await self.call(self.client.remove_provider(item["alias"]), "removed")

        question = f"Remove {item['alias']} and every account link to it?"
        self.app.push_screen(ConfirmDialog(question), confirmed)


class ProvidersScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back", priority=True)]

    def __init__(self, client: AdminClient) -> None:
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield ProvidersPane(self.client, id="pane-providers")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Identity providers"
        self.query_one(ProvidersPane).load()
        self.query_one("#pane-providers DataTable", DataTable).focus()

    def action_close(self) -> None:
        self.dismiss()
