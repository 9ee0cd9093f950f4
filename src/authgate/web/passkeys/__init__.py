"""The passkey pages and ceremony endpoints (docs/security.md, "Passkeys"): passkey sign-in
on the login page and the second-factor page (:mod:`.login`), the account's passkey page
(:mod:`.account`), and their script (:mod:`.script`)."""
