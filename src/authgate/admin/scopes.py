"""The Config API's OAuth scopes, named after Janssen's (docs/janssen-compatibility.md §9.1).

These scopes are created at first start as non-registrable, so a dynamically registered
client can never obtain them; only clients created through the Config API or the CLI can.
"""

from __future__ import annotations

from authgate.core.types import Scope

_AS = "https://jans.io/oauth/jans-auth-server"
_CONFIG = "https://jans.io/oauth/config"

PROPERTIES_READ = f"{_AS}/config/properties.readonly"
PROPERTIES_WRITE = f"{_AS}/config/properties.write"
CLIENTS_READ = f"{_CONFIG}/openid/clients.readonly"
CLIENTS_WRITE = f"{_CONFIG}/openid/clients.write"
CLIENTS_DELETE = f"{_CONFIG}/openid/clients.delete"
SCOPES_READ = f"{_CONFIG}/scopes.readonly"
SCOPES_WRITE = f"{_CONFIG}/scopes.write"
SCOPES_DELETE = f"{_CONFIG}/scopes.delete"
USERS_READ = f"{_CONFIG}/user.readonly"
USERS_WRITE = f"{_CONFIG}/user.write"
KEYS_READ = f"{_CONFIG}/jwks.readonly"
KEYS_WRITE = f"{_CONFIG}/jwks.write"
SESSIONS_READ = f"{_AS}/session.readonly"
SESSIONS_DELETE = f"{_AS}/session.delete"
AUDIT_READ = f"{_CONFIG}/audit.readonly"
EVENTS_READ = f"{_CONFIG}/security-events.readonly"
#: authgate extension: initial access tokens for dynamic registration (RFC 7591 §3).
INITIAL_TOKENS_READ = f"{_CONFIG}/openid/initial-access-tokens.readonly"
INITIAL_TOKENS_WRITE = f"{_CONFIG}/openid/initial-access-tokens.write"
FEDERATION_READ = f"{_CONFIG}/federation.readonly"
FEDERATION_WRITE = f"{_CONFIG}/federation.write"
LOCKOUTS_READ = f"{_AS}/lockout.readonly"
LOCKOUTS_DELETE = f"{_AS}/lockout.delete"

DESCRIPTIONS = {
    PROPERTIES_READ: "Read the auth server configuration",
    PROPERTIES_WRITE: "Change the auth server configuration",
    CLIENTS_READ: "Read OpenID Connect clients",
    CLIENTS_WRITE: "Create and change OpenID Connect clients",
    CLIENTS_DELETE: "Delete OpenID Connect clients",
    SCOPES_READ: "Read OAuth scopes",
    SCOPES_WRITE: "Create and change OAuth scopes",
    SCOPES_DELETE: "Delete OAuth scopes",
    USERS_READ: "Read users",
    USERS_WRITE: "Create, change and disable users",
    KEYS_READ: "Read signing keys",
    KEYS_WRITE: "Rotate signing keys",
    SESSIONS_READ: "Read login sessions",
    SESSIONS_DELETE: "Revoke login sessions",
    AUDIT_READ: "Read the audit log of administrative changes",
    EVENTS_READ: "Read security events (failed logins, rate limits, replays)",
    INITIAL_TOKENS_READ: "List initial access tokens for client registration",
    INITIAL_TOKENS_WRITE: "Issue and revoke initial access tokens for client registration",
    FEDERATION_READ: "Read upstream identity providers and federated identities",
    FEDERATION_WRITE: "Add, change and remove upstream identity providers and links",
    LOCKOUTS_READ: "Read brute-force protection's throttles and lockouts",
    LOCKOUTS_DELETE: "Clear throttles and lockouts",
}

#: Every Config API scope, in a stable order.
ADMIN_SCOPES: tuple[str, ...] = tuple(DESCRIPTIONS)


def admin_scope_records() -> list[Scope]:
    """The scopes to create at first start (not registrable through DCR)."""
    return [Scope(name, text, (), False) for name, text in DESCRIPTIONS.items()]
