"""Requests authgate makes on its own to URLs that clients registered: sector identifier
documents, JWK Sets at ``jwks_uri``, back-channel logout notifications."""

from authgate.outbound.sector_identifier import HttpSectorIdentifierFetcher

__all__ = ["HttpSectorIdentifierFetcher"]
