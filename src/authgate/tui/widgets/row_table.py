"""Data tables whose Enter key is shown in the footer ("Edit" or "View")."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class EditTable(DataTable[str]):
    """Rows open an editor on Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Edit")]


class ViewTable(DataTable[str]):
    """Rows open a detail view on Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "View")]
