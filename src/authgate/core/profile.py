"""The OAuth 2.1 profile switch (``oauth21ProfileEnabled``): one place that says what OAuth 2.1
removes, for every endpoint to ask.

With the switch on, whatever the individual properties say: no implicit grant (OAuth 2.1
§10.1, RFC 9700 §2.1.2), hence no response type that returns a token from the authorization
endpoint (``token``, ``id_token`` and the hybrid ones: authgate, like Janssen, files them all
under the implicit grant); no resource owner password grant (RFC 9700 §2.4); PKCE with S256
only, spelt exactly ``S256`` (RFC 7636 §4.3), and required from public clients (OAuth 2.1
§4.1.1, §7.5.2); and ``iss`` in authorization responses (RFC 9207). With it off, the
individual properties decide.

Code that adds a grant or a response type calls :func:`check_response_type` and
:func:`grant_type_allowed` rather than reading the switch (``response_types.implicit_enabled``
and ``client_types.resolve_types`` do).
"""

from __future__ import annotations

from authgate.appconfig import AppConfiguration
from authgate.errors import UnsupportedResponseType

#: Grant types OAuth 2.1 removes.
REMOVED_GRANT_TYPES = frozenset({"implicit", "password"})


def returns_front_channel_token(response_type: str) -> bool:
    """Whether a response type returns a token (access token or id_token) from the
    authorization endpoint, i.e. uses the implicit grant."""
    return bool({"token", "id_token"} & set(response_type.split()))


def check_response_type(response_type: str, config: AppConfiguration) -> None:
    """Refuse implicit and hybrid response types under the profile.

    Raises:
        UnsupportedResponseType: the profile is on and the response type returns a token
            from the authorization endpoint.
    """
    if config.oauth21ProfileEnabled and returns_front_channel_token(response_type):
        raise UnsupportedResponseType(
            f"response_type '{response_type}' returns tokens from the authorization endpoint "
            "(implicit grant), which the OAuth 2.1 profile (oauth21ProfileEnabled) refuses"
        )


def grant_type_allowed(grant_type: str, config: AppConfiguration) -> bool:
    """Whether the grant is allowed server-wide (``grantTypesSupported`` and the profile)."""
    if config.oauth21ProfileEnabled and grant_type in REMOVED_GRANT_TYPES:
        return False
    return grant_type in config.grantTypesSupported


def pkce_methods(config: AppConfiguration) -> list[str]:
    """Accepted ``code_challenge_method`` values: only S256 under the profile."""
    if config.oauth21ProfileEnabled:
        return ["S256"]
    return list(config.codeChallengeMethodsSupported)


def pkce_method_exact(config: AppConfiguration) -> bool:
    """Under the profile ``code_challenge_method`` must be spelt as RFC 7636 §4.3 writes it
    (``S256``); otherwise ``s256`` (the flow document's spelling) is accepted too."""
    return config.oauth21ProfileEnabled


def pkce_required_for_public_clients(config: AppConfiguration) -> bool:
    return config.oauth21ProfileEnabled or config.requirePkceForPublicClients


def iss_in_authorization_responses(config: AppConfiguration) -> bool:
    """RFC 9207: always under the profile, else ``authorizationResponseIssParameterSupported``."""
    return config.oauth21ProfileEnabled or config.authorizationResponseIssParameterSupported
