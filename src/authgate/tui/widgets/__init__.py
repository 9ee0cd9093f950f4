"""The TUI's widgets and dialogs, one per module."""
