"""The operations of the OpenAPI document (:mod:`authgate.admin.openapi`): one row per route
of the Config API and of the registration endpoint (RFC 7591, RFC 7592)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from authgate.admin import paths
from authgate.admin import scopes as s
from authgate.admin.federation_schemas import IdentityOut, ProviderIn, ProviderOut, ProviderUpdate
from authgate.admin.schemas import (
    AuditOut,
    ClearedOut,
    ClientIn,
    ClientOut,
    ErrorOut,
    FactorsResetOut,
    GrantOut,
    GrantRevokedOut,
    GrantsRevokedOut,
    InitialTokenIn,
    InitialTokenOut,
    IssuedInitialTokenOut,
    KeyOut,
    LockoutOut,
    PasskeyOut,
    PasswordIn,
    RotationOut,
    ScopeIn,
    ScopeOut,
    ScopeUpdate,
    SecurityEventOut,
    SessionOut,
    SessionsEndedOut,
    UserFactorsOut,
    UserIn,
    UserOut,
    UserSessionOut,
    UserUpdate,
)
from authgate.appconfig import AppConfiguration
from authgate.core import endpoints
from authgate.core.registration.request import RegistrationRequest

Body = type[BaseModel] | Literal["patch"] | None
#: How an operation is authorised: an admin token with ``scope``, the client's registration
#: access token (RFC 7592 §3), an initial access token when the registration policy asks for
#: one (RFC 7591 §3), or nothing.
Auth = Literal["oauth2", "registration", "initial", "none"]


class RegistrationResponse(BaseModel):
    """The registration response (RFC 7591 §3.2.1) in the flow document's shape."""

    model_config = ConfigDict(extra="allow")

    client_id: str
    client_id_issued_at: int
    client_secret: str | None = None
    client_secret_expires_at: int | None = None
    registration_access_token: str
    registration_client_uri: str
    token_endpoint_auth_method: str
    scope: str
    grant_types: list[str]
    response_types: list[str]
    redirect_uris: list[str]
    client_name: str
    application_type: str
    subject_type: str


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    scope: str | None
    body: Body = None
    response: type[BaseModel] | None = None
    many: bool = False
    status: int = 200
    query: tuple[str, ...] = ()
    auth: Auth = "oauth2"


_CLIENT = f"{paths.CLIENTS}/{{client_id}}"
_SCOPE = f"{paths.SCOPES}/{{scope_id}}"
_USER = f"{paths.USERS}/{{user_id}}"
_PAGED = ("pattern", "limit", "startIndex")
_PROVIDER = f"{paths.PROVIDERS}/{{alias}}"

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get",
        paths.CONFIG,
        "Get the auth server configuration",
        s.PROPERTIES_READ,
        response=AppConfiguration,
    ),
    Operation(
        "patch",
        paths.CONFIG,
        "Change the configuration with a JSON Patch (RFC 6902)",
        s.PROPERTIES_WRITE,
        "patch",
        AppConfiguration,
    ),
    Operation(
        "get",
        paths.CLIENTS,
        "List or search clients",
        s.CLIENTS_READ,
        None,
        ClientOut,
        True,
        query=_PAGED,
    ),
    Operation(
        "post", paths.CLIENTS, "Create a client", s.CLIENTS_WRITE, ClientIn, ClientOut, status=201
    ),
    Operation("get", _CLIENT, "Get a client", s.CLIENTS_READ, None, ClientOut),
    Operation("put", _CLIENT, "Replace a client", s.CLIENTS_WRITE, ClientIn, ClientOut),
    Operation(
        "delete", _CLIENT, "Delete a client and revoke its tokens", s.CLIENTS_DELETE, status=204
    ),
    Operation(
        "get", paths.SCOPES, "List scopes", s.SCOPES_READ, None, ScopeOut, True, query=_PAGED
    ),
    Operation(
        "post", paths.SCOPES, "Create a scope", s.SCOPES_WRITE, ScopeIn, ScopeOut, status=201
    ),
    Operation("get", _SCOPE, "Get a scope", s.SCOPES_READ, None, ScopeOut),
    Operation("put", _SCOPE, "Change a scope", s.SCOPES_WRITE, ScopeUpdate, ScopeOut),
    Operation("delete", _SCOPE, "Delete a scope", s.SCOPES_DELETE, status=204),
    Operation(
        "get", paths.USERS, "List or search users", s.USERS_READ, None, UserOut, True, query=_PAGED
    ),
    Operation("post", paths.USERS, "Create a user", s.USERS_WRITE, UserIn, UserOut, status=201),
    Operation("get", _USER, "Get a user by id or username", s.USERS_READ, None, UserOut),
    Operation("patch", _USER, "Change or disable a user", s.USERS_WRITE, UserUpdate, UserOut),
    Operation(
        "post", f"{_USER}/password", "Set a user's password", s.USERS_WRITE, PasswordIn, UserOut
    ),
    Operation("get", paths.KEYS, "List signing keys", s.KEYS_READ, None, KeyOut, True),
    Operation(
        "post",
        paths.KEYS_ROTATE,
        "Rotate the signing key (with overlap)",
        s.KEYS_WRITE,
        None,
        RotationOut,
        status=201,
    ),
    Operation(
        "get",
        paths.SESSIONS,
        "List live login sessions",
        s.SESSIONS_READ,
        None,
        SessionOut,
        True,
        query=("user_id", "limit", "startIndex"),
    ),
    Operation(
        "delete",
        f"{paths.SESSIONS}/{{sid}}",
        "Revoke a session and its tokens",
        s.SESSIONS_DELETE,
        status=204,
    ),
    Operation(
        "get",
        paths.AUDIT,
        "List audit log entries, newest first",
        s.AUDIT_READ,
        None,
        AuditOut,
        True,
        query=("target_type", "limit", "startIndex"),
    ),
    Operation(
        "get",
        paths.EVENTS,
        "List security events, newest first",
        s.EVENTS_READ,
        None,
        SecurityEventOut,
        True,
        query=("kind", "limit", "startIndex"),
    ),
    Operation(
        "get",
        paths.INITIAL_TOKENS,
        "List initial access tokens for registration (never their values)",
        s.INITIAL_TOKENS_READ,
        None,
        InitialTokenOut,
        True,
        query=("limit", "startIndex"),
    ),
    Operation(
        "post",
        paths.INITIAL_TOKENS,
        "Issue an initial access token (RFC 7591 §3); its value is shown once",
        s.INITIAL_TOKENS_WRITE,
        InitialTokenIn,
        IssuedInitialTokenOut,
        status=201,
    ),
    Operation(
        "delete",
        f"{paths.INITIAL_TOKENS}/{{token_id}}",
        "Revoke an initial access token",
        s.INITIAL_TOKENS_WRITE,
        status=204,
    ),
    Operation(
        "get",
        paths.LOCKOUTS,
        "List brute-force protection's counters: throttles, lockouts, failures, newest first",
        s.LOCKOUTS_READ,
        None,
        LockoutOut,
        True,
        query=("family", "limit", "startIndex"),
    ),
    Operation(
        "delete",
        paths.LOCKOUTS,
        "Clear the counters of a username, a client and/or a source address",
        s.LOCKOUTS_DELETE,
        None,
        ClearedOut,
        query=("username", "client_id", "source"),
    ),
    Operation(
        "delete",
        f"{paths.LOCKOUTS}/{{id}}",
        "Clear one counter",
        s.LOCKOUTS_DELETE,
        None,
        ClearedOut,
    ),
    Operation(
        "get",
        f"{_USER}/grants",
        "List the apps a user approved (grants)",
        s.USERS_READ,
        None,
        GrantOut,
        True,
    ),
    Operation(
        "delete",
        f"{_USER}/grants",
        "Revoke every grant of a user, with the clients' tokens for the user",
        s.USERS_WRITE,
        None,
        GrantsRevokedOut,
    ),
    Operation(
        "delete",
        f"{_USER}/grants/{{client_id}}",
        "Revoke a user's grant of one client, with the client's tokens for the user",
        s.USERS_WRITE,
        None,
        GrantRevokedOut,
    ),
    Operation(
        "get",
        f"{_USER}/sessions",
        "List a user's live login sessions",
        s.SESSIONS_READ,
        None,
        UserSessionOut,
        True,
    ),
    Operation(
        "delete",
        f"{_USER}/sessions",
        "End every session of a user (logout, with back-channel logout)",
        s.SESSIONS_DELETE,
        None,
        SessionsEndedOut,
    ),
    Operation(
        "delete",
        f"{_USER}/sessions/{{sid}}",
        "End one session of a user (logout, with back-channel logout)",
        s.SESSIONS_DELETE,
        status=204,
    ),
    Operation(
        "get",
        f"{_USER}/factors",
        "List a user's second factors, passkeys and recovery codes left (no secret)",
        s.USERS_READ,
        None,
        UserFactorsOut,
    ),
    Operation(
        "delete",
        f"{_USER}/factors",
        "Reset a user's second factors: every authenticator app, passkey and recovery code",
        s.USERS_WRITE,
        None,
        FactorsResetOut,
    ),
    Operation(
        "delete",
        f"{_USER}/factors/{{factor_id}}",
        "Remove one authenticator app of a user",
        s.USERS_WRITE,
        status=204,
    ),
    Operation(
        "get",
        f"{_USER}/passkeys",
        "List a user's passkeys (no key material)",
        s.USERS_READ,
        None,
        PasskeyOut,
        True,
    ),
    Operation(
        "delete",
        f"{_USER}/passkeys/{{credential_id}}",
        "Remove one passkey of a user",
        s.USERS_WRITE,
        status=204,
    ),
    Operation(
        "get",
        paths.PROVIDERS,
        "List upstream identity providers (never their client secrets)",
        s.FEDERATION_READ,
        None,
        ProviderOut,
        True,
    ),
    Operation(
        "post",
        paths.PROVIDERS,
        "Add an upstream identity provider, from a preset or its endpoints",
        s.FEDERATION_WRITE,
        ProviderIn,
        ProviderOut,
        status=201,
    ),
    Operation(
        "get",
        _PROVIDER,
        "Get an upstream identity provider",
        s.FEDERATION_READ,
        None,
        ProviderOut,
    ),
    Operation(
        "patch",
        _PROVIDER,
        "Change members of an upstream identity provider",
        s.FEDERATION_WRITE,
        ProviderUpdate,
        ProviderOut,
    ),
    Operation(
        "delete",
        _PROVIDER,
        "Remove an upstream identity provider and its links",
        s.FEDERATION_WRITE,
        status=204,
    ),
    Operation(
        "get",
        paths.IDENTITIES,
        "List federated identities (links of local users to upstream identities)",
        s.FEDERATION_READ,
        None,
        IdentityOut,
        True,
        query=("user_id", "alias", "limit", "startIndex"),
    ),
    Operation(
        "delete",
        f"{paths.IDENTITIES}/{{alias}}/{{subject}}",
        "Remove a federated identity (unlink)",
        s.FEDERATION_WRITE,
        status=204,
    ),
    Operation(
        "post",
        endpoints.REGISTER,
        "Register a client (RFC 7591); an initial access token when "
        "dynamicRegistrationPolicy is initial_access_token",
        None,
        RegistrationRequest,
        RegistrationResponse,
        status=201,
        auth="initial",
    ),
    Operation(
        "get",
        endpoints.REGISTER,
        "Read a registration (RFC 7592 §2.1)",
        None,
        None,
        RegistrationResponse,
        query=("client_id",),
        auth="registration",
    ),
    Operation(
        "put",
        endpoints.REGISTER,
        "Update a registration (RFC 7592 §2.2)",
        None,
        RegistrationRequest,
        RegistrationResponse,
        query=("client_id",),
        auth="registration",
    ),
    Operation(
        "delete",
        endpoints.REGISTER,
        "Delete a registration (RFC 7592 §2.3)",
        None,
        status=204,
        query=("client_id",),
        auth="registration",
    ),
)

MODELS: tuple[type[BaseModel], ...] = (
    AppConfiguration, ClientIn, ClientOut, ScopeIn, ScopeUpdate, ScopeOut, UserIn, UserUpdate,
    UserOut, PasswordIn, KeyOut, RotationOut, SessionOut, AuditOut, SecurityEventOut, LockoutOut,
    ClearedOut, ErrorOut,
    RegistrationRequest, RegistrationResponse, InitialTokenIn, InitialTokenOut,
    IssuedInitialTokenOut, GrantOut, GrantRevokedOut, GrantsRevokedOut, UserSessionOut,
    SessionsEndedOut, UserFactorsOut, FactorsResetOut, PasskeyOut,
    ProviderIn, ProviderUpdate, ProviderOut, IdentityOut,
)  # fmt: skip
