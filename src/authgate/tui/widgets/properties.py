"""Auth Server → Properties: every configuration property, searchable, editable.

A two-column table (name, value) sorted by name; the search box filters by a
case-insensitive substring of the name as you type and puts the cursor on the best match
(the exact name, else the first name it starts, else the first that contains it), shown
highlighted while typing and named under the box; Enter goes to the table, where Enter
opens :class:`~authgate.tui.widgets.property_editor.PropertyEditor`; a save sends one JSON
Patch ``replace`` operation and the table is reloaded from the server
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


def best_match(needle: str, names: list[str]) -> str | None:
    """The name a search for ``needle`` means: the exact name (same case first), else the
    first (in ``names``' order) that starts with it, else the first that contains it."""
    folded = needle.lower()

    def rank(name: str) -> int:
        if name == needle:
            return 0
        if name.lower() == folded:
            return 1
        return 2 if name.lower().startswith(folded) else 3

    found = [n for n in names if folded in n.lower()]
    return min(found, key=rank) if found else None


class PropertiesPane(Vertical):
    DEFAULT_CSS = """
    PropertiesPane { height: 1fr; }
    PropertiesPane Input { margin: 0 0 0 0; }
    PropertiesPane DataTable { height: 1fr; }
    PropertiesPane.searching DataTable > .datatable--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
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
        search = self.query_one("#property-search", Input)
        needle = search.value.strip()
        selected = self.selected()
        table.clear()
        names = self.visible_names()
        for name in names:
            table.add_row(name, _cell(self.document[name]), key=name)
        target = best_match(needle, names) if needle else selected
        if target in names:
            table.move_cursor(row=table.get_row_index(target))
        self._hint()

    def _hint(self) -> None:
        """While searching: highlight the cursor row and name it under the search box."""
        search = self.query_one("#property-search", Input)
        searching = self.app.focused is search
        self.set_class(searching, "searching")
        target = self.selected() if searching and search.value.strip() else None
        search.border_subtitle = f"Enter, Enter: edit {target}" if target else ""

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refill()

    def on_descendant_focus(self) -> None:
        self._hint()

    def on_descendant_blur(self) -> None:
        self._hint()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Inside the search box, ``/`` is text, not a new search."""
        return not (action == "search" and isinstance(self.app.focused, Input))

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
