"""Config API paths.

Janssen's paths wherever Janssen has the operation (docs/janssen-compatibility.md §9.1).
"""

from __future__ import annotations

#: Every path under this root is a Config API path, a protected resource (RFC 6750).
ROOT = "/jans-config-api/"
PREFIX = f"{ROOT}api/v1"
CONFIG = f"{PREFIX}/jans-auth-server/config"
CLIENTS = f"{PREFIX}/openid/clients"
SCOPES = f"{PREFIX}/scopes"
USERS = f"{PREFIX}/mgt/configuser"
KEYS = f"{PREFIX}/config/jwks"
KEYS_ROTATE = f"{KEYS}/rotate"
SESSIONS = f"{PREFIX}/jans-auth-server/session"
AUDIT = f"{PREFIX}/audit"
#: authgate extension (Janssen has no security event log): failed logins, lockouts,
#: rate limits, replays, client registrations and deletions, newest first.
EVENTS = f"{PREFIX}/security-events"
#: authgate extension: initial access tokens for dynamic registration (RFC 7591 §3).
INITIAL_TOKENS = f"{PREFIX}/openid/initial-access-tokens"
#: authgate extension: upstream identity providers and federated identities (docs/federation.md).
PROVIDERS = f"{PREFIX}/federation/identity-providers"
IDENTITIES = f"{PREFIX}/federation/identities"
LOCKOUTS = f"{PREFIX}/jans-auth-server/lockouts"
OPENAPI = f"{PREFIX}/openapi.json"

JSON_PATCH = "application/json-patch+json"
