"""``authgate tui``: a Textual terminal UI over the Config API (janssen-spec §7.4)."""
