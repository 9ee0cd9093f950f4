"""The server's endpoint paths and their absolute URLs.

The paths are Janssen's defaults (docs/janssen-compatibility.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = "/jans-auth/restv1"
AUTHORIZE = f"{BASE}/authorize"
TOKEN = f"{BASE}/token"
REGISTER = f"{BASE}/register"
USERINFO = f"{BASE}/userinfo"
JWKS = f"{BASE}/jwks"
REVOKE = f"{BASE}/revoke"
INTROSPECTION = f"{BASE}/introspection"
END_SESSION = f"{BASE}/end_session"
PAR = f"{BASE}/par"
LOGIN_PAGE = "/jans-auth/login.htm"
CONSENT_PAGE = "/jans-auth/authorize.htm"
#: Sign-in through an upstream provider: where the login page's button leads, and the
#: redirect URI registered at the upstream (docs/federation.md).
FEDERATION_LOGIN = "/jans-auth/federation/{alias}/login"
FEDERATION_CALLBACK = "/jans-auth/federation/{alias}/callback"
DISCOVERY_PATHS = (
    "/.well-known/openid-configuration",
    "/jans-auth/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
)


@dataclass(frozen=True, slots=True)
class EndpointUrls:
    """Absolute endpoint URLs under one issuer."""

    issuer: str

    def url(self, path: str) -> str:
        return self.issuer + path

    @property
    def authorization_endpoint(self) -> str:
        return self.url(AUTHORIZE)

    @property
    def token_endpoint(self) -> str:
        return self.url(TOKEN)

    @property
    def registration_endpoint(self) -> str:
        return self.url(REGISTER)

    @property
    def userinfo_endpoint(self) -> str:
        return self.url(USERINFO)

    @property
    def jwks_uri(self) -> str:
        return self.url(JWKS)

    @property
    def par_endpoint(self) -> str:
        return self.url(PAR)

    @property
    def revocation_endpoint(self) -> str:
        return self.url(REVOKE)

    @property
    def introspection_endpoint(self) -> str:
        return self.url(INTROSPECTION)

    @property
    def end_session_endpoint(self) -> str:
        return self.url(END_SESSION)
