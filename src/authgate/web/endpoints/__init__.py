"""HTTP endpoints, one module per protocol endpoint."""
