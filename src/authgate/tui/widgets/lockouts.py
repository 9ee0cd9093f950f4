"""The Lockouts screen (``l`` on the Sessions tab): brute-force protection's counters
(who is throttled or locked out, from where); clear one, or every counter of its account or
client. A screen rather than a ninth tab, so the tab bar keeps fitting 80 columns."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header

from authgate.admin.client import AdminClient
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.table_pane import TablePane


def _every(family: str) -> str:
    return "(every account)" if family == "login" else "(every client)"


def _when(at: Any) -> str:
    return "-" if at is None else time.strftime("%H:%M:%S", time.localtime(float(at)))


class LockoutsPane(TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "clear", "Clear"),
        Binding("D", "clear_all", "Clear account"),
    ]
    COLUMNS = (
        ("State", "state"),
        ("Until", "until"),
        ("Kind", "family"),
        ("Account or client", "who"),
        ("Source", "where"),
        ("Failures", "failures"),
    )
    KEY = "id"
    TITLE = "Lockout"
    SEARCH = False

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        found = await self.client.list_lockouts()
        for item in found:
            item["until"] = _when(item["blocked_until"])
            item["who"] = (
                item["username"]
                or item["client_id"]
                or (_every(item["family"]) if item["subject"] is None else "(no such user)")
            )
            item["where"] = item["source"] or "(everywhere)"
        return found

    def action_clear(self) -> None:
        item = self.selected()
        if item is None:
            return
        question = f"Clear this counter ({item['who']} from {item['where']})?"
        self._confirm(question, {"id": item["id"]})

    def action_clear_all(self) -> None:
        """Every counter of the selected row's account or client (any source)."""
        item = self.selected()
        if item is None:
            return
        if item["username"]:
            selector = {"username": item["username"]}
        elif item["client_id"]:
            selector = {"client_id": item["client_id"]}
        else:
            selector = {"id": item["id"]}
        self._confirm(f"Clear every counter of {item['who']}?", selector)

    def _confirm(self, question: str, selector: dict[str, str]) -> None:
        async def confirmed(answer: bool | None) -> None:
            if answer:
                await self.call(self.client.clear_lockouts(selector), "cleared")

        self.app.push_screen(ConfirmDialog(question), confirmed)


class LockoutsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back", priority=True)]

    def __init__(self, client: AdminClient) -> None:
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield LockoutsPane(self.client, id="pane-lockouts")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Lockouts"
        self.query_one(LockoutsPane).load()
        self.query_one("#pane-lockouts DataTable", DataTable).focus()

    def action_close(self) -> None:
        self.dismiss()
