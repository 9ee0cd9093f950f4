"""The administration use cases, shared by the Config API and the CLI.

Both adapters get one :class:`AdminService` over a started runtime (built by
:mod:`authgate.assembly`) and call its parts; the TUI reaches the same code through the Config
API. Methods take typed inputs (:mod:`authgate.admin.schemas`), return core values, and raise
:class:`authgate.errors.OAuthError` subclasses that the web layer renders and the CLI prints.
The use cases depend on ports only (:mod:`authgate.admin.ports`, :mod:`authgate.core.ports`).
"""

from __future__ import annotations

from authgate.admin.account_service import UserAccountAdmin
from authgate.admin.client_service import ClientAdmin
from authgate.admin.config_service import ConfigAdmin
from authgate.admin.context import AdminContext
from authgate.admin.directory_service import ScopeAdmin, UserAdmin
from authgate.admin.factor_service import FactorAdmin
from authgate.admin.federation_service import FederationAdmin
from authgate.admin.initial_token_service import InitialTokenAdmin
from authgate.admin.lockout_service import LockoutAdmin
from authgate.admin.ops_service import AuditAdmin, EventAdmin, KeyAdmin, SessionAdmin
from authgate.admin.passkey_service import PasskeyAdmin


class AdminService:
    """Configuration, clients, scopes, users, keys, sessions, the audit log, the security
    events, initial access tokens, brute-force protection's lockouts and users' second
    factors and passkeys."""

    def __init__(self, ctx: AdminContext) -> None:
        self.context = ctx
        self.config = ConfigAdmin(ctx)
        self.clients = ClientAdmin(ctx)
        self.scopes = ScopeAdmin(ctx)
        self.users = UserAdmin(ctx)
        self.keys = KeyAdmin(ctx)
        self.sessions = SessionAdmin(ctx)
        self.audit = AuditAdmin(ctx)
        self.events = EventAdmin(ctx)
        self.initial_tokens = InitialTokenAdmin(ctx)
        self.lockouts = LockoutAdmin(ctx)
        self.federation = FederationAdmin(ctx)
        self.accounts = UserAccountAdmin(ctx)
        self.factors = FactorAdmin(ctx)
        self.passkeys = PasskeyAdmin(ctx)
