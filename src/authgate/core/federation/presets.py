"""Presets: the endpoints, scopes and claim mapping of common providers, so an administrator
gives only the client id and secret (docs/federation.md, "Presets")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from authgate.core.federation.model import ProviderKind, ResponseMode


@dataclass(frozen=True, slots=True)
class Preset:
    kind: ProviderKind
    display_name: str
    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    mapping: Mapping[str, str] = field(default_factory=dict)
    use_userinfo: bool = False
    client_auth: str = "client_secret_basic"
    response_mode: ResponseMode = "query"
    note: str = ""


PRESETS: Mapping[str, Preset] = {
    "google": Preset(kind="oidc", display_name="Google", issuer="https://accounts.google.com"),
    "microsoft": Preset(
        kind="oidc",
        display_name="Microsoft",
        # A single-tenant issuer: replace "common" with the tenant id (docs/federation.md).
        issuer="https://login.microsoftonline.com/common/v2.0",
        note="set --issuer to https://login.microsoftonline.com/<tenant id>/v2.0",
    ),
    "apple": Preset(
        kind="oidc",
        display_name="Apple",
        issuer="https://appleid.apple.com",
        scopes=("openid", "email", "name"),
        client_auth="client_secret_post",
        # Apple answers with form_post whenever name or email is asked for
        response_mode="form_post",
        note="Apple's client secret is a JWT the administrator signs with the Apple key and "
        "renews every 6 months",
    ),
    "github": Preset(
        kind="oauth2",
        display_name="GitHub",
        authorization_endpoint="https://github.com/login/oauth/authorize",
        token_endpoint="https://github.com/login/oauth/access_token",  # noqa: S106 - a URL
        userinfo_endpoint="https://api.github.com/user",
        scopes=("read:user", "user:email"),
        mapping={
            "sub": "id",
            "email": "email",
            "name": "name",
            "preferred_username": "login",
        },
        use_userinfo=True,
        client_auth="client_secret_post",
        note="GitHub's user API has no email_verified: emails from GitHub count as unverified",
    ),
    "gitlab": Preset(
        kind="oidc",
        display_name="GitLab",
        issuer="https://gitlab.com",
        scopes=("openid", "email", "profile"),
        mapping={"preferred_username": "nickname"},
    ),
}
