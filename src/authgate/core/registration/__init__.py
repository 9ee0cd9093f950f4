"""Dynamic client registration (RFC 7591) and client management (RFC 7592)."""
