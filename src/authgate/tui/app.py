"""The TUI application: an "Auth Server" area with one tab per kind of object.

Build it with :func:`make_app` from an :class:`~authgate.admin.client.AdminClient`; tests pass
a client whose transport is the in-process ASGI app. Everything goes through the Config API,
so the TUI works the same against a remote server.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, TabbedContent, TabPane

from authgate.admin.client import AdminApiError, AdminClient, ServerUnreachable
from authgate.tui.widgets.audit import AuditPane
from authgate.tui.widgets.clients import ClientsPane
from authgate.tui.widgets.connection_error import ConnectionErrorScreen
from authgate.tui.widgets.keys import KeysPane
from authgate.tui.widgets.properties import PropertiesPane
from authgate.tui.widgets.scopes import ScopesPane
from authgate.tui.widgets.sessions import SessionsPane
from authgate.tui.widgets.table_pane import TablePane
from authgate.tui.widgets.users import UsersPane

TABS = ("properties", "clients", "scopes", "keys", "users", "sessions", "audit")


class AdminApp(App[None]):
    TITLE = "authgate"
    SUB_TITLE = "Auth Server"
    CSS = """
    TabbedContent { height: 1fr; }
    TabPane { padding: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        *(Binding(str(i), f"show_tab('{tab}')", "Tabs", show=i == 1, key_display="1-7")
          for i, tab in enumerate(TABS, start=1)),
    ]  # fmt: skip

    def __init__(self, client: AdminClient) -> None:
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        panes = (PropertiesPane, ClientsPane, ScopesPane, KeysPane, UsersPane, SessionsPane,
                 AuditPane)  # fmt: skip
        with TabbedContent(id="area"):
            for i, (tab, pane) in enumerate(zip(TABS, panes, strict=True), start=1):
                with TabPane(f"{i} {tab.title()}", id=f"tab-{tab}"):
                    yield pane(self.client, id=f"pane-{tab}")
        yield Footer()

    def on_mount(self) -> None:
        self.connect()

    @work(exclusive=True, group="connect")
    async def connect(self) -> None:
        """Check the server and credentials, then load every tab."""
        try:
            await self.client.token()
        except (ServerUnreachable, AdminApiError) as exc:
            self.push_screen(ConnectionErrorScreen(self.client.base_url, str(exc)), self._retry)
            return
        self.query_one(PropertiesPane).load()
        for pane in self.query(TablePane):
            pane.load()
        self.query_one("#pane-properties DataTable").focus()

    def _retry(self, retry: bool | None) -> None:
        if retry:
            self.connect()
        else:
            self.exit()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Tabs whose data changes behind the TUI's back are reloaded when opened."""
        for pane in event.pane.query(TablePane):
            if pane.RELOAD_ON_OPEN:
                pane.load()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
        self.query_one(f"#pane-{tab} DataTable").focus()

    async def on_unmount(self) -> None:
        await self.client.aclose()


def make_app(client: AdminClient) -> AdminApp:
    """The TUI over ``client`` (which it closes on exit)."""
    return AdminApp(client)
