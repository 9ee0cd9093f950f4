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
DEVICE_AUTHORIZATION = f"{BASE}/device_authorization"
LOGIN_PAGE = "/jans-auth/login.htm"
CONSENT_PAGE = "/jans-auth/authorize.htm"
#: Sign-in through an upstream provider: where the login page's button leads, and the
#: redirect URI registered at the upstream (docs/federation.md).
FEDERATION_LOGIN = "/jans-auth/federation/{alias}/login"
FEDERATION_CALLBACK = "/jans-auth/federation/{alias}/callback"
#: The device verification page (RFC 8628 §3.3), at Janssen's path.
DEVICE_PAGE = "/jans-auth/device_authorization.htm"
#: The second-factor step of sign-in (docs/sign-in.md), and TOTP enrolment within it.
FACTOR_PAGE = "/jans-auth/factor.htm"
ENROL_PAGE = "/jans-auth/enrol.htm"
#: Passkeys (docs/security.md, "Passkeys"): the ceremony options of the login and second
#: factor pages, the passkey sign-in form, their script, and the
#: account's passkey page with its actions.
PASSKEY_OPTIONS = "/jans-auth/passkey/options"
PASSKEY_LOGIN = "/jans-auth/passkey/login"
PASSKEY_SCRIPT = "/jans-auth/passkeys.js"
ACCOUNT_PASSKEYS = "/account/security/passkeys"
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
    def device_authorization_endpoint(self) -> str:
        return self.url(DEVICE_AUTHORIZATION)

    @property
    def device_verification_uri(self) -> str:
        return self.url(DEVICE_PAGE)

    @property
    def revocation_endpoint(self) -> str:
        return self.url(REVOKE)

    @property
    def introspection_endpoint(self) -> str:
        return self.url(INTROSPECTION)

    @property
    def end_session_endpoint(self) -> str:
        return self.url(END_SESSION)
