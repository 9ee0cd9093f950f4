"""The values of federation: upstream providers, links to local users, pending sign-ins.

Plain data only (no I/O); the stores of :class:`authgate.core.ports.FederationStore` keep them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ProviderKind = Literal["oidc", "oauth2"]
ClientAuth = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
#: How the provider returns its answer to the callback: redirected in the query (a ``GET``),
#: or posted by an auto-submitting form (OAuth 2.0 Form Post Response Mode, a ``POST``).
ResponseMode = Literal["query", "form_post"]

#: An alias is a URL path segment: lower-case letters, digits, ``-`` and ``_``.
ALIAS = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
#: The fields a claim mapping may name (docs/federation.md, "Claim mapping").
MAPPED_FIELDS = (
    "sub",
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
)
#: The claim mapping of an OpenID Provider: each field is the claim of the same name.
OIDC_MAPPING: Mapping[str, str] = {name: name for name in MAPPED_FIELDS}
#: Marker stored as the password hash of a user provisioned from an upstream provider: it is
#: not a hash, so no password ever matches it.
NO_PASSWORD = "!federated"  # noqa: S105 - a marker, not a secret
#: A session's ``amr`` names the upstream provider as ``idp:<alias>`` (kept with the session,
#: codes and tokens); it is issued as the ``idp`` claim, never as an ``amr`` value.
IDP_PREFIX = "idp:"


def split_amr(amr: tuple[str, ...] | list[str]) -> tuple[list[str], str | None]:
    """The ``amr`` values to issue and the ``idp`` claim, from a session's stored ``amr``."""
    values = [a for a in amr if not a.startswith(IDP_PREFIX)]
    idp = next((a[len(IDP_PREFIX) :] for a in amr if a.startswith(IDP_PREFIX)), None)
    return values, idp


@dataclass(frozen=True, slots=True)
class Provider:
    """An upstream identity provider configured by an administrator.

    ``client_secret_sealed`` is the client secret sealed under the server's sealing key
    (:mod:`authgate.crypto.sealed`), never the secret itself.
    """

    alias: str
    kind: ProviderKind
    client_id: str
    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    client_auth: ClientAuth = "client_secret_basic"
    client_secret_sealed: str | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    display_name: str = ""
    icon: str = ""
    enabled: bool = True
    provision: bool = True
    trust_email: bool = False
    use_userinfo: bool = False
    response_mode: ResponseMode = "query"
    domains: tuple[str, ...] = ()
    mapping: Mapping[str, str] = field(default_factory=dict)
    preset: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def label(self) -> str:
        return self.display_name or self.alias


@dataclass(frozen=True, slots=True)
class FederatedIdentity:
    """A local user's link to an identity at an upstream provider."""

    alias: str
    subject: str
    user_id: str
    linked_at: float
    last_used_at: float | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A sign-in sent to an upstream provider and not yet back (single use, short-lived).

    Stored under ``key``: the hash of the ``state`` sent upstream. A pending *link* (an
    upstream identity waiting for the local account's owner to sign in with the password) is
    stored under ``link_key(interaction_id)`` with the identity in ``subject``/``user_id``.
    """

    key: str
    alias: str
    interaction_id: str
    browser_hash: str
    expires_at: float
    nonce: str = ""
    verifier: str = ""
    subject: str = ""
    user_id: str = ""
    email: str = ""


def sealing_context(alias: str) -> str:
    """What a provider's sealed client secret is bound to (the associated data)."""
    return f"federation:{alias}"


def link_key(interaction_id: str) -> str:
    """Where the pending link of an interaction is stored."""
    return f"link:{interaction_id}"


@dataclass(frozen=True, slots=True)
class UpstreamIdentity:
    """Who the upstream provider says signed in, after the claim mapping."""

    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    preferred_username: str | None = None
