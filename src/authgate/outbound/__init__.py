"""Requests authgate makes on its own to URLs that clients registered: sector identifier
documents, JWK Sets at ``jwks_uri``, back-channel logout notifications,
request objects at ``request_uri``; all through one
:class:`~authgate.outbound.client.OutboundClient` under one
:class:`~authgate.outbound.policy.OutboundPolicy`."""

from authgate.outbound.client import OutboundClient
from authgate.outbound.policy import OutboundPolicy
from authgate.outbound.request_object import HttpRequestObjectFetcher
from authgate.outbound.sector_identifier import HttpSectorIdentifierFetcher

__all__ = [
    "HttpRequestObjectFetcher",
    "HttpSectorIdentifierFetcher",
    "OutboundClient",
    "OutboundPolicy",
]
