"""Administration: the Config API, its use cases (shared with the CLI) and its client."""
