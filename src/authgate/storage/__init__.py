"""Persistence: SQLAlchemy 2 tables, engines and the implementations of the core's ports."""
