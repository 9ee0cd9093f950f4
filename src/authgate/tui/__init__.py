"""``authgate tui``: a Textual terminal UI over the Config API
(docs/janssen-compatibility.md §9.2)."""
