"""The account page's self-service paths (profile changes, docs/self-service.md)."""

from __future__ import annotations

PROFILE_PAGE = "/account/profile"
NAME_PATH = "/account/profile/name"
EMAIL_PATH = "/account/profile/email"
PASSWORD_PATH = "/account/profile/password"  # noqa: S105 (a path)
RESEND_PATH = "/account/profile/resend"

#: The POST paths (each counts against the SelfService rate limit).
PROFILE_PATHS = (NAME_PATH, EMAIL_PATH, PASSWORD_PATH, RESEND_PATH)
