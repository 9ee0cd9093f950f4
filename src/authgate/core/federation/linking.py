"""Which local account an upstream identity signs in as (docs/federation.md, "Linking").

1. An identity already linked signs in as its user (unless that user is disabled).
2. Otherwise, a local account with the same email address is linked automatically only when
   the upstream says the email is verified *and* the administrator trusts this provider's
   verification; otherwise its owner must prove control by signing in with the password in
   the same flow. An unverified email never links on its own.
3. Otherwise a new user is provisioned just in time, if the provider allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.core.federation.model import Provider, UpstreamIdentity
from authgate.core.types import User


@dataclass(frozen=True, slots=True)
class SignIn:
    user: User
    link: bool = False  # True: link the identity first (automatic, trusted verified email)


@dataclass(frozen=True, slots=True)
class NeedProof:
    """The identity's email belongs to ``user``: link after the owner signs in locally."""

    user: User


@dataclass(frozen=True, slots=True)
class Provision:
    pass


@dataclass(frozen=True, slots=True)
class Refuse:
    reason: str  # "account_disabled" | "no_account"


Decision = SignIn | NeedProof | Provision | Refuse


def decide(
    provider: Provider,
    identity: UpstreamIdentity,
    linked: User | None,
    same_email: User | None,
) -> Decision:
    """The decision for ``identity``, given the user it is linked to (if any) and the local
    user with its email address (if any)."""
    if linked is not None:
        return SignIn(linked) if linked.enabled else Refuse("account_disabled")
    if same_email is not None:
        if not same_email.enabled:
            return Refuse("account_disabled")
        if identity.email_verified and provider.trust_email:
            return SignIn(same_email, link=True)
        return NeedProof(same_email)
    if provider.provision:
        return Provision()
    return Refuse("no_account")
