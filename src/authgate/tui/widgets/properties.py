"""Auth Server → Properties: every configuration property, searchable, editable.

A two-column table (name, value) sorted by name; the search box filters by a
case-insensitive substring of the name as you type; Enter opens
:class:`~authgate.tui.widgets.property_editor.PropertyEditor`; a save sends one JSON Patch
``replace`` operation and the table is reloaded from the server
(docs/janssen-compatibility.md §9.2).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from authgate.admin.client import AdminApiError, AdminClient, ServerUnreachable
from authgate.admin.values import Kind, format_value, infer_kind, property_kinds
from authgate.tui.widgets.property_editor import PropertyEditor, SavedProperty
from authgate.tui.widgets.row_table import EditTable

VALUE_WIDTH = 28


def _cell(value: Any) -> str:
    text = format_value(value)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 1] + "…"


class PropertiesPane(Vertical):
    DEFAULT_CSS = """
    PropertiesPane { height: 1fr; }
    PropertiesPane Input { margin: 0 0 0 0; }
    PropertiesPane DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search"),
        Binding("escape", "leave_search", "Table", show=False),
        Binding("ctrl+r", "reload", "Reload"),
    ]

    def __init__(self, client: AdminClient, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.client = client
        self.document: dict[str, Any] = {}
        self.kinds: dict[str, Kind] = {}

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="Search properties: type to filter, Enter/Esc: back to the table",
            id="property-search",
        )
        yield EditTable(id="properties", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Property Name", key="name")
        table.add_column("Property Value", key="value")

    @work(exclusive=True, group="properties")
    async def load(self) -> None:
        """Fetch the configuration (and its schema, once) and refill the table."""
        try:
            if not self.kinds:
                self.kinds = property_kinds(await self.client.config_schema())
            self.document = await self.client.get_config()
        except (AdminApiError, ServerUnreachable) as exc:
            self.notify(str(exc), title="Cannot load properties", severity="error")
            return
        self.refill()

    def visible_names(self) -> list[str]:
        needle = self.query_one("#property-search", Input).value.strip().lower()
        return sorted(n for n in self.document if needle in n.lower())

    def refill(self) -> None:
        table = self.query_one(DataTable)
        selected = self.selected()
        table.clear()
        for name in self.visible_names():
            table.add_row(name, _cell(self.document[name]), key=name)
        if selected in self.document and selected in self.visible_names():
            table.move_cursor(row=table.get_row_index(selected))

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_search(self) -> None:
        self.query_one("#property-search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one(DataTable).focus()

    def action_reload(self) -> None:
        self.load()

    def action_edit(self) -> None:
        name = self.selected()
        if name is None:
            return
        value = self.document[name]
        kind = self.kinds.get(name) or infer_kind(value)
        self.app.push_screen(PropertyEditor(name, value, kind, self.save), self._saved)

    async def save(self, name: str, value: Any) -> str | None:
        """Send one JSON Patch operation; the server's error message, or None."""
        try:
            await self.client.set_property(name, value)
        except AdminApiError as exc:
            return exc.description
        except ServerUnreachable as exc:
            return str(exc)
        return None

    def _saved(self, result: SavedProperty | None) -> None:
        if result is not None:
            self.notify(f"{result.name} saved", title="Properties")
            self.load()
