"""authgate: a self-hosted OpenID Connect Provider / OAuth 2.1 authorization server."""

__version__ = "0.1.0"
