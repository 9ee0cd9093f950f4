"""A searchable, reloadable table of objects fetched from the Config API.

Subclasses say which columns to show and how to fetch the rows; the Scopes, Keys, Users,
Sessions and Audit tabs are such tables with a few actions of their own. Times show as
ISO 8601 in UTC; ``/`` opens the search box only where there is one, and is plain text
inside it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from authgate.admin.client import AdminApiError, AdminClient, ServerUnreachable
from authgate.admin.values import format_time
from authgate.tui.widgets.json_view import JsonView
from authgate.tui.widgets.row_table import ViewTable


class TablePane(Vertical):
    DEFAULT_CSS = """
    TablePane { height: 1fr; }
    TablePane DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search"),
        Binding("escape", "leave_search", "Table", show=False),
        Binding("ctrl+r", "reload", "Reload"),
    ]
    #: (column label, item member) pairs.
    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: The member that identifies a row.
    KEY: ClassVar[str] = "id"
    TITLE: ClassVar[str] = "Item"
    SEARCH = True
    #: Members holding a Unix time, shown as ISO 8601 (UTC).
    TIMES: ClassVar[frozenset[str]] = frozenset()
    #: Reload whenever the tab is opened (data that changes without this TUI's actions).
    RELOAD_ON_OPEN = False

    def __init__(self, client: AdminClient, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.client = client
        self.items: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        if self.SEARCH:
            yield Input(
                placeholder=f"Search {self.TITLE.lower()}s (Enter/Esc: back to the table)",
                classes="search",
            )
        yield ViewTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, member in self.COLUMNS:
            table.add_column(label, key=member)

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def cell(self, item: dict[str, Any], member: str) -> str:
        value = item.get(member)
        if member in self.TIMES and isinstance(value, int | float):
            return format_time(value)
        if isinstance(value, list):
            return " ".join(str(v) for v in value)
        return "-" if value is None else str(value)

    def pattern(self) -> str | None:
        if not self.SEARCH:
            return None
        return self.query_one(Input).value.strip() or None

    @work(exclusive=True)
    async def load(self) -> None:
        try:
            found = await self.fetch(self.pattern())
        except (AdminApiError, ServerUnreachable) as exc:
            self.notify(str(exc), title=f"Cannot load {self.TITLE.lower()}s", severity="error")
            return
        table = self.query_one(DataTable)
        table.clear()
        self.items = {str(item[self.KEY]): item for item in found}
        for key, item in self.items.items():
            table.add_row(*(self.cell(item, m) for _, m in self.COLUMNS), key=key)

    def selected(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return self.items.get(str(row_key.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.load()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_view()

    def action_view(self) -> None:
        item = self.selected()
        if item is not None:
            self.app.push_screen(JsonView(f"{self.TITLE} {item[self.KEY]}", item))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No search key without a search box; inside the box, ``/`` is text."""
        if action == "search":
            return self.SEARCH and not isinstance(self.app.focused, Input)
        return True

    def action_search(self) -> None:
        if self.SEARCH:
            self.query_one(Input).focus()

    def action_leave_search(self) -> None:
        self.query_one(DataTable).focus()

    def action_reload(self) -> None:
        self.load()

    async def call(self, action: Any, done: str) -> bool:
        """Await an API call; notify the outcome; reload on success."""
        try:
            await action
        except (AdminApiError, ServerUnreachable) as exc:
            self.notify(str(exc), title="Failed", severity="error")
            return False
        self.notify(done, title=self.TITLE)
        self.load()
        return True
