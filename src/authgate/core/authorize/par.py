"""The pushed authorization request endpoint (RFC 9126 §2).

The client authenticates as at the token endpoint (public clients send ``client_id`` only,
§2.1), pushes the authorization request parameters, and gets a single-use ``request_uri``
valid for its ``par_lifetime`` (default 600 s). The request is validated now, with every rule
of the authorization endpoint, and errors come back as JSON (§2.3), never as redirects.
Public clients must use PKCE here (for response types that issue a code) whatever the
configuration says, since nothing else binds the pushed request to the browser that will
redeem the code.

A request object (``request``, RFC 9101; RFC 9126 §3) is verified and merged into the
pushed parameters before they are checked (:mod:`authgate.core.authorize.request_object`);
a ``request_uri`` is refused here, by value or by reference (§2.1).

A ``DPoP`` proof sent with the push binds the future code to its key, like ``dpop_jkt``
(RFC 9449 §10.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.core.authorize import request as authorize
from authgate.core.authorize import request_object
from authgate.core.authorize.request_uri import REQUEST_URI_PREFIX
from authgate.core.clients import authentication as client_auth
from authgate.core.endpoints import EndpointUrls
from authgate.core.ports import Services
from authgate.core.protection.attempts import UNKNOWN_SOURCE
from authgate.core.tokens import dpop
from authgate.core.types import PushedRequest
from authgate.crypto.handles import handle_hash, new_handle
from authgate.errors import InvalidDPoPProof, InvalidRequest

#: Parameters that authenticate the client; they are not part of the authorization request.
CLIENT_AUTH_PARAMS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


async def _bind_dpop(params: dict[str, str], proof: str, svc: Services) -> None:
    htu = EndpointUrls(svc.issuer).par_endpoint
    verified = await dpop.verify_proof(proof, htm="POST", htu=htu, svc=svc)
    if params.setdefault("dpop_jkt", verified.jkt) != verified.jkt:
        raise InvalidDPoPProof("dpop_jkt does not match the key of the DPoP proof")


async def push(
    form: Mapping[str, str],
    authorization: str | None,
    svc: Services,
    *,
    dpop_proof: str | None = None,
    source: str = UNKNOWN_SOURCE,
) -> dict[str, Any]:
    """Validate and store a pushed authorization request; returns the 201 body (§2.2).

    Raises:
        InvalidClient: client authentication failed.
        OAuthError: the request fails a check of the authorization endpoint, or pushes
            ``request_uri`` (§2.1), or a public client omits PKCE.
    """
    client = await client_auth.authenticate(form, authorization, svc, source=source)
    if "request_uri" in form:
        raise InvalidRequest("request_uri must not be pushed (RFC 9126 §2.1)")
    params = {k: v for k, v in form.items() if k not in CLIENT_AUTH_PARAMS}
    params["client_id"] = client.client_id
    unpacked = await request_object.unpack(params, client, svc)  # RFC 9126 §3
    params = unpacked.params
    if dpop_proof is not None:
        await _bind_dpop(params, dpop_proof, svc)
    redirect_uri = authorize.resolve_redirect_uri(params.get("redirect_uri"), client)
    request = authorize.check_request(
        params, client, redirect_uri, svc, pushed=True, signed=unpacked.signed
    )
    issues_code = "code" in request.response_type.split()
    if client.metadata.is_public and issues_code and request.code_challenge is None:
        raise InvalidRequest("Public clients must use PKCE in pushed authorization requests")
    handle = new_handle()
    lifetime = client.metadata.par_lifetime
    expires_at = svc.clock.now() + lifetime
    await svc.pushed.add(PushedRequest(handle_hash(handle), client.client_id, params, expires_at))
    return {"request_uri": REQUEST_URI_PREFIX + handle, "expires_in": lifetime}
