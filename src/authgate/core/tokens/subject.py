"""Subject identifiers (OIDC Core §8): public, or pairwise per sector (§8.1)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from authgate.appconfig import AppConfiguration
from authgate.core.authorize.redirect_uris import redirect_host
from authgate.core.types import Client


def sector_identifier(client: Client) -> str:
    """The host of the client's redirect URIs (all on one host for pairwise clients)."""
    meta = client.metadata
    if meta.sector_identifier_uri:
        return redirect_host(meta.sector_identifier_uri)
    if meta.redirect_uris:
        return redirect_host(meta.redirect_uris[0])
    return client.client_id


def subject(user_id: str, client: Client, config: AppConfiguration) -> str:
    """The ``sub`` this client sees for this user.

    Pairwise values are HMAC-SHA256(pairwiseCalculationKey, sector + user_id + salt) in
    base64url without padding (43 characters), as in Janssen's algorithmic pairwise type.
    """
    if client.metadata.subject_type != "pairwise":
        return user_id
    message = (sector_identifier(client) + user_id + config.pairwiseCalculationSalt).encode()
    digest = hmac.new(config.pairwiseCalculationKey.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
