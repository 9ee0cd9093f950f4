"""The token endpoint and its grants, the tokens it mints (access, refresh, id_token), and
where they are used: DPoP binding, introspection, revocation, userinfo."""
