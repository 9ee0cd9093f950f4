"""The authorization endpoint and what it decides: request checks, PKCE, redirect URIs,
response types and modes, pushed requests, login and consent, the authorization response."""
