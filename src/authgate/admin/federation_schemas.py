"""Config API bodies of upstream identity providers and federated identities
(docs/federation.md). The client secret is write-only: no response carries it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from authgate.core.federation.mapping import check_mapping
from authgate.core.federation.model import ALIAS

ClientAuthIn = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
_ICON_MAX = 16 * 1024


def _check_icon(value: str | None) -> str | None:
    if value and not (value.startswith("https://") or value.startswith("data:image/")):
        raise ValueError("an icon is an https URL or a data:image/... URI")
    return value


def _check_url(value: str | None) -> str | None:
    if value and not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value


def _check_mapping(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None:
        check_mapping(value)
    return value


class ProviderUpdate(BaseModel):
    """Members to change on a provider (every member optional; ``client_secret`` replaces the
    stored secret)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    issuer: str | None = Field(None, max_length=1024)
    authorization_endpoint: str | None = Field(None, max_length=1024)
    token_endpoint: str | None = Field(None, max_length=1024)
    userinfo_endpoint: str | None = Field(None, max_length=1024)
    jwks_uri: str | None = Field(None, max_length=1024)
    client_id: str | None = Field(None, min_length=1, max_length=255)
    client_secret: str | None = Field(
        None, min_length=1, max_length=4096, description="Write-only; stored sealed."
    )
    client_auth: ClientAuthIn | None = None
    scopes: list[str] | None = None
    display_name: str | None = Field(None, max_length=100)
    icon: str | None = Field(None, max_length=_ICON_MAX)
    enabled: bool | None = None
    provision: bool | None = Field(None, description="Create unknown users just in time.")
    trust_email: bool | None = Field(
        None, description="Link an existing account when the provider says its email is verified."
    )
    use_userinfo: bool | None = None
    response_mode: Literal["query", "form_post"] | None = Field(
        None,
        description="How the provider answers the callback: `query` (a redirect) or "
        "`form_post` (a POST from an auto-submitting form, which Apple uses).",
    )
    domains: list[str] | None = Field(None, description="login_hint email domains routed here.")
    mapping: dict[str, str] | None = Field(None, description="Field -> dotted claim path.")

    _icon = field_validator("icon")(_check_icon)
    _urls = field_validator(
        "issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"
    )(_check_url)
    _mapping = field_validator("mapping")(_check_mapping)


class ProviderIn(ProviderUpdate):
    """A provider to add: an alias and a preset, or a kind with its endpoints."""

    alias: str = Field(max_length=63, description="URL-safe id: [a-z0-9][a-z0-9_-]*")
    preset: Literal["google", "microsoft", "apple", "github", "gitlab"] | None = None
    kind: Literal["oidc", "oauth2"] | None = None

    @field_validator("alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        if not ALIAS.fullmatch(value):
            raise ValueError("an alias is lower-case letters, digits, '-' and '_'")
        return value


class ProviderOut(BaseModel):
    alias: str
    kind: str
    preset: str
    issuer: str | None
    authorization_endpoint: str | None
    token_endpoint: str | None
    userinfo_endpoint: str | None
    jwks_uri: str | None
    client_id: str
    client_auth: str
    client_secret_set: bool = Field(description="Whether a secret is stored (never shown).")
    scopes: list[str]
    display_name: str
    icon: str
    enabled: bool
    provision: bool
    trust_email: bool
    use_userinfo: bool
    response_mode: str
    domains: list[str]
    mapping: dict[str, str]
    redirect_uri: str = Field(description="The callback to register at the provider.")
    created_at: float
    updated_at: float


class IdentityOut(BaseModel):
    alias: str
    subject: str
    user_id: str
    email: str | None
    linked_at: float
    last_used_at: float | None
