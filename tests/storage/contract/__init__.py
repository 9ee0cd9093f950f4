"""Port contract tests: one suite run against the memory, SQLite and PostgreSQL stores."""
