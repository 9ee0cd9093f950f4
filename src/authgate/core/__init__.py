"""The protocol core: OAuth 2.0/2.1 and OpenID Connect rules, free of HTTP and SQL."""
