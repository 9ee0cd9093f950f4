"""The Config API's JSON of providers (never a secret) and federated identities."""

from __future__ import annotations

from typing import Any

from authgate.admin.federation_schemas import IdentityOut, ProviderOut
from authgate.core import endpoints
from authgate.core.federation.model import FederatedIdentity, Provider


def provider_json(provider: Provider, issuer: str) -> dict[str, Any]:
    out = ProviderOut(
        alias=provider.alias,
        kind=provider.kind,
        preset=provider.preset,
        issuer=provider.issuer,
        authorization_endpoint=provider.authorization_endpoint,
        token_endpoint=provider.token_endpoint,
        userinfo_endpoint=provider.userinfo_endpoint,
        jwks_uri=provider.jwks_uri,
        client_id=provider.client_id,
        client_auth=provider.client_auth,
        client_secret_set=provider.client_secret_sealed is not None,
        scopes=list(provider.scopes),
        display_name=provider.display_name,
        icon=provider.icon,
        enabled=provider.enabled,
        provision=provider.provision,
        trust_email=provider.trust_email,
        use_userinfo=provider.use_userinfo,
        response_mode=provider.response_mode,
        domains=list(provider.domains),
        mapping=dict(provider.mapping),
        redirect_uri=issuer + endpoints.FEDERATION_CALLBACK.format(alias=provider.alias),
        created_at=provider.created_at,
        updated_at=provider.updated_at,
    )
    return out.model_dump(mode="json")


def identity_json(identity: FederatedIdentity) -> dict[str, Any]:
    out = IdentityOut(
        alias=identity.alias,
        subject=identity.subject,
        user_id=identity.user_id,
        email=identity.email,
        linked_at=identity.linked_at,
        last_used_at=identity.last_used_at,
    )
    return out.model_dump(mode="json")
