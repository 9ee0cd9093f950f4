"""Client authentication at the token, PAR, introspection and revocation endpoints."""
