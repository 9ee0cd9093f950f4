"""The token endpoint (RFC 6749 §3.2): shared checks, then dispatch on ``grant_type``.

Shared steps: client authentication, grant type allowed (server, OAuth 2.1 profile, client),
then the DPoP proof if any (RFC 9449 §5), whose key the grant binds its tokens to. A proof
is checked only once the request is otherwise plausible, so its ``jti`` is spent on a real
attempt; requests without a ``DPoP`` header skip that step entirely.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from authgate.core import profile
from authgate.core.clients import authentication as client_auth
from authgate.core.endpoints import EndpointUrls
from authgate.core.ports import Services
from authgate.core.protection.attempts import UNKNOWN_SOURCE
from authgate.core.tokens import dpop
from authgate.core.tokens.grants import (
    authorization_code,
    client_credentials,
    device_code,
    refresh_token,
    token_exchange,
)
from authgate.core.types import Client
from authgate.errors import (
    InvalidAuthorizationDetails,
    InvalidDPoPProof,
    InvalidRequest,
    UnauthorizedClient,
    UnsupportedGrantType,
)


class Grant(Protocol):
    """A grant's token exchange; ``dpop`` is the verified proof, when the request had one;
    ``source`` the request's source address, for the security events the grant records."""

    def __call__(
        self,
        form: Mapping[str, str],
        client: Client,
        svc: Services,
        /,
        *,
        dpop: dpop.Proof | None = None,
        source: str | None = None,
    ) -> Awaitable[dict[str, Any]]: ...


GRANTS: dict[str, Grant] = {
    authorization_code.GRANT_TYPE: authorization_code.exchange,
    refresh_token.GRANT_TYPE: refresh_token.exchange,
    client_credentials.GRANT_TYPE: client_credentials.exchange,
    device_code.GRANT_TYPE: device_code.exchange,
    token_exchange.GRANT_TYPE: token_exchange.exchange,
}
#: The grants whose request may narrow its grant's ``authorization_details`` (RFC 9396 §6.1).
NARROWS_DETAILS = frozenset({authorization_code.GRANT_TYPE, refresh_token.GRANT_TYPE})


async def token(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    dpop_proof: str | None = None,
    source: str = UNKNOWN_SOURCE,
) -> dict[str, Any]:
    """Handle a token request; returns the JSON response body.

    Args:
        form: The single-valued form parameters.
        authorization: The ``Authorization`` header, if any.
        dpop_proof: The one ``DPoP`` header, if any (RFC 9449 §4.1).
        source: The request's source address (brute-force protection counts under it;
            security events name it).

    Raises:
        OAuthError: in the token endpoint's error format (RFC 6749 §5.2, RFC 9449 §5).
    """
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequest("The request is missing the grant_type parameter")
    client = await client_auth.authenticate(form, authorization, svc, source=source)
    grant = GRANTS.get(grant_type)
    if grant is None or not profile.grant_type_allowed(grant_type, svc.config.current):
        raise UnsupportedGrantType(f"grant_type '{grant_type}' is not supported")
    if grant_type not in client.metadata.grant_types:
        raise UnauthorizedClient(f"The client is not registered for the {grant_type} grant")
    if "authorization_details" in form and grant_type not in NARROWS_DETAILS:
        # RFC 9396 §6.1 lets a token request narrow the details of the grant it continues;
        # the other grants have none to narrow, so the parameter is refused, not ignored
        raise InvalidAuthorizationDetails(
            f"authorization_details is not accepted with the {grant_type} grant: only a "
            "code or refresh token request may narrow the details its grant authorized"
        )
    proof = None
    if dpop_proof is not None:
        htu = EndpointUrls(svc.issuer).token_endpoint
        proof = await dpop.verify_proof(dpop_proof, htm="POST", htu=htu, svc=svc)
    elif client.metadata.dpop_bound_access_tokens:
        raise InvalidDPoPProof(
            "This client is registered with dpop_bound_access_tokens: send a DPoP proof"
        )
    return await grant(form, client, svc, dpop=proof, source=source)
