"""Requests authgate makes to clients' URLs: JWK Sets at ``jwks_uri``, back-channel logout."""
