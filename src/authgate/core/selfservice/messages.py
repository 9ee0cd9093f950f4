"""Every user-visible text of self-service that is not in a template: the refusals shown
above a form. Kept in one module so that they can be translated alongside the templates."""

from __future__ import annotations

# ruff: noqa: S105 (messages about passwords, not passwords)

PASSWORD_TOO_SHORT = "Choose a password of at least {length} characters."
PASSWORD_TOO_LONG = "Choose a password of at most {length} characters."
PASSWORD_COMMON = "That password is one of the most common passwords. Choose another one."
PASSWORD_IS_NAME = "Do not use your username or email address as your password."
PASSWORDS_DIFFER = "The two passwords are not the same."
USERNAME_INVALID = (
    "Choose a username of 1 to {length} characters without spaces or control characters."
)
USERNAME_TAKEN = "That username is taken. Choose another one."
EMAIL_INVALID = "Enter a valid email address."
NAME_INVALID = "Enter a name of at most {length} characters."
CURRENT_PASSWORD_WRONG = "Your current password is not correct."
EMAIL_UNCHANGED = "That is already your email address."
LINK_INVALID = (
    "This link is not valid any more: it was already used, it expired, or it was changed. "
    "Ask for a new one."
)
NOT_VERIFIED = (
    "Confirm your email address first: follow the link in the latest mail we sent you, "
    "then sign in."
)
PAGE_OFF = "This page is not available on this server."
