"""The account page's own OpenID Connect client (docs/account.md, "How the page signs in").

The account page is a relying party of this very server: a public client using the
authorization code flow with PKCE (RFC 7636, S256), whose one redirect URI is derived from
the issuer. It is created on first use and put back as defined here whenever the stored copy
differs, so an administrator cannot widen it by editing it. Being first party, it needs no
consent (:func:`is_first_party`), and it is not listed among the user's connected apps.
"""

from __future__ import annotations

from authgate.core.ports import Services
from authgate.core.types import Client, ClientMetadata

ACCOUNT_CLIENT_ID = "authgate-account"
ACCOUNT_CLIENT_NAME = "authgate account page"
#: Where the account page lives, and where the authorization response comes back.
ACCOUNT_PATH = "/account"
CALLBACK_PATH = "/account/callback"
#: How long one sign-in to the account page lasts (its access token's lifetime).
SIGN_IN_LIFETIME = 1800
#: Sensitive changes need a sign-in at most this old (seconds); older ones sign in again
#: with ``prompt=login`` (OIDC Core §3.1.2.1).
RECENT_AUTH = 300
SCOPE = ("openid",)

#: Clients of the server itself: their requests are approved without a consent page.
FIRST_PARTY = frozenset({ACCOUNT_CLIENT_ID})


def is_first_party(client_id: str) -> bool:
    return client_id in FIRST_PARTY


def callback_uri(issuer: str) -> str:
    return issuer + CALLBACK_PATH


def account_client(issuer: str, now: int) -> Client:
    """The client as it must be."""
    metadata = ClientMetadata(
        client_name=ACCOUNT_CLIENT_NAME,
        redirect_uris=(callback_uri(issuer),),
        response_types=("code",),
        grant_types=("authorization_code",),
        token_endpoint_auth_method="none",  # noqa: S106 (a method name)
        scope=SCOPE,
        subject_type="public",
        require_pkce=True,
        access_token_lifetime=SIGN_IN_LIFETIME,
    )
    return Client(client_id=ACCOUNT_CLIENT_ID, metadata=metadata, client_id_issued_at=now)


def _as_defined(stored: Client, wanted: Client) -> bool:
    return (
        stored.metadata == wanted.metadata
        and stored.secret_hash is None
        and stored.registration_token_hash is None
        and stored.expires_at is None
        and not stored.disabled
    )


async def ensure_account_client(svc: Services) -> Client:
    """The account page's client, created or put back as defined (idempotent; concurrent
    callers on several instances end with the same client)."""
    now = int(svc.clock.now())
    wanted = account_client(svc.issuer, now)
    stored = await svc.clients.get(ACCOUNT_CLIENT_ID)
    if stored is not None and _as_defined(stored, wanted):
        return stored
    if stored is None:
        try:
            await svc.clients.add(wanted)
            return wanted
        except Exception:
            # Another instance created it first (the store's integrity error): re-read.
            svc.clients.forget(ACCOUNT_CLIENT_ID)
            stored = await svc.clients.get(ACCOUNT_CLIENT_ID, fresh=True)
            if stored is None:
                raise
            if _as_defined(stored, wanted):
                return stored
    fixed = Client(
        client_id=ACCOUNT_CLIENT_ID,
        metadata=wanted.metadata,
        client_id_issued_at=stored.client_id_issued_at if stored else now,
    )
    await svc.clients.replace(fixed)
    return fixed
