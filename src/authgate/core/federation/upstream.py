"""The upstream provider's endpoints (from its discovery document or the provider's own
settings), the token request, and the id_token check (OpenID Connect Core §3.1.3.7).

JOSE is joserfc's: signature and algorithm under an allow-list (asymmetric algorithms only;
never ``none`` or a MAC), the keys from the upstream's JWK Set. The claims are then checked
against the clock of :class:`~authgate.core.ports.Services`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from authgate.core.federation.errors import FederationFailed
from authgate.core.federation.model import Provider
from authgate.core.ports import Federation
from authgate.errors import OutboundError

#: The id_token algorithms accepted from upstream providers.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
#: Seconds of clock difference tolerated on ``iat`` and ``exp``.
LEEWAY = 60
#: An id_token issued longer ago than this is refused.
MAX_AGE = 600


@dataclass(frozen=True, slots=True)
class Endpoints:
    authorization: str
    token: str
    userinfo: str | None
    jwks_uri: str | None
    algorithms: tuple[str, ...]
    iss_parameter_required: bool


def _https_or_loopback(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://"))


async def endpoints(provider: Provider, fed: Federation) -> Endpoints:
    """The provider's endpoints; an OpenID provider's come from its discovery document
    (cached a few minutes), whose ``issuer`` must be the configured one.

    Raises:
        FederationFailed: ``upstream_unreachable`` or ``upstream_misconfigured``.
    """
    if provider.kind == "oauth2" or not provider.issuer:
        if not provider.authorization_endpoint or not provider.token_endpoint:
            raise FederationFailed("upstream_misconfigured", "no endpoints configured")
        return Endpoints(
            provider.authorization_endpoint,
            provider.token_endpoint,
            provider.userinfo_endpoint,
            provider.jwks_uri,
            ALGORITHMS,
            False,
        )
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        status, doc = await fed.http.get_json(url, cache=True)
    except OutboundError:
        raise FederationFailed("upstream_unreachable") from None
    if status != 200 or not isinstance(doc, Mapping):
        raise FederationFailed("upstream_misconfigured", f"discovery status {status}")
    if doc.get("issuer") != provider.issuer:
        raise FederationFailed("upstream_misconfigured", "discovery names another issuer")
    urls = [doc.get(k) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    if not all(_https_or_loopback(u) for u in urls):
        raise FederationFailed("upstream_misconfigured", "discovery lacks an endpoint")
    authorization, token, jwks_uri = (str(u) for u in urls)
    offered = doc.get("id_token_signing_alg_values_supported")
    algs = tuple(a for a in offered if a in ALGORITHMS) if isinstance(offered, list) else ()
    userinfo = provider.userinfo_endpoint or doc.get("userinfo_endpoint")
    return Endpoints(
        provider.authorization_endpoint or authorization,
        provider.token_endpoint or token,
        str(userinfo) if _https_or_loopback(userinfo) else None,
        provider.jwks_uri or jwks_uri,
        algs or ("RS256",),
        doc.get("authorization_response_iss_parameter_supported") is True,
    )


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def _key_set(fed: Federation, jwks_uri: str, *, refresh: bool) -> KeySet:
    try:
        status, doc = await fed.http.get_json(jwks_uri, cache=not refresh)
    except OutboundError:
        raise FederationFailed("upstream_unreachable") from None
    if status != 200 or not isinstance(doc, Mapping):
        raise FederationFailed("upstream_misconfigured", f"JWK Set status {status}")
    try:
        return KeySet.import_key_set(doc)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise FederationFailed("upstream_misconfigured", "the JWK Set does not parse") from None


async def verify_id_token(
    id_token: str,
    provider: Provider,
    ends: Endpoints,
    fed: Federation,
    *,
    nonce: str,
    now: float,
) -> dict[str, Any]:
    """The claims of a valid id_token (OIDC Core §3.1.3.7).

    Raises:
        FederationFailed: ``bad_id_token`` (signature, algorithm, issuer, audience, expiry,
            ``iat``), ``nonce_mismatch``, or an unreachable JWK Set.
    """
    if not ends.jwks_uri:
        raise FederationFailed("upstream_misconfigured", "no jwks_uri")
    token = None
    for refresh in (False, True):
        keys = await _key_set(fed, ends.jwks_uri, refresh=refresh)
        try:
            token = jwt.decode(id_token, keys, algorithms=list(ends.algorithms))
            break
        except JoseError:
            continue  # a key the cached set lacks (rotation): one fresh look
        except (ValueError, TypeError):
            break
    if token is None:
        raise FederationFailed("bad_id_token")
    claims = dict(token.claims)
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if claims.get("iss") != provider.issuer or provider.client_id not in audiences:
        raise FederationFailed("bad_id_token")
    if len(audiences) > 1 and claims.get("azp") not in (None, provider.client_id):
        raise FederationFailed("bad_id_token")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise FederationFailed("bad_id_token")
    if exp + LEEWAY <= now or iat > now + LEEWAY or iat < now - MAX_AGE:
        raise FederationFailed("expired_id_token")
    if claims.get("nonce") != nonce:
        raise FederationFailed("nonce_mismatch")
    return claims
