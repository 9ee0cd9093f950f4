"""Self-service: sign-up, email verification, password reset and profile changes
(docs/self-service.md)."""
