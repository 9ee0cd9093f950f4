"""Keys, token handles and password hashing."""
