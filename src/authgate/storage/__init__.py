"""Persistence: the schema, the SQLite and PostgreSQL engines, and the implementations of the
core's ports (docs/architecture.md §5)."""
