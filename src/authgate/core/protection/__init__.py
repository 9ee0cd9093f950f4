"""Brute-force protection: failed guesses of a secret make further guesses wait.

Secrets guessed online are users' passwords (the login page), client secrets and client
assertions (token, PAR, introspection and revocation endpoints) and registration access tokens
(RFC 7592). Failures are counted in the database per key (:mod:`.attempts`), judged by the
rules of :mod:`.policy` against ``authenticationProtectionConfiguration``, and checked *before*
the secret is (:mod:`.guard`), so a refused attempt costs no password hash. :mod:`.login` and
:mod:`.clients` apply it to the two kinds of caller; :mod:`.device` is the device cookie.
docs/security.md, "Brute-force protection".
"""
