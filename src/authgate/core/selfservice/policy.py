"""What a new password and the sign-up fields must be (docs/self-service.md, "Password policy").

Following NIST SP 800-63B §3.1.1.2: a minimum length (``selfServicePasswordMinLength``), a
generous maximum, every character allowed, no composition rules, and a check against a list of
common passwords: the 10,000 most common of the bundled list (``common_passwords.txt.gz``,
source and licence in NOTICE), compared without case. The username and the email address are
refused as passwords too.
"""

from __future__ import annotations

import functools
import gzip
import unicodedata
from importlib import resources

from authgate.appconfig import AppConfiguration
from authgate.core.selfservice import messages

#: Longest password accepted (NIST: at least 64).
MAX_PASSWORD = 256
MAX_USERNAME = 255
MAX_NAME = 255
MAX_EMAIL = 320
LIST_FILE = "common_passwords.txt.gz"


class Refused(Exception):
    """A form value is refused; the message is shown above the form (``field``: which one)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lower-cased (read once)."""
    data = resources.files(__package__).joinpath(LIST_FILE).read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").lower().split("\n")) - {""}


def check_password(
    password: str, config: AppConfiguration, *, username: str = "", email: str = ""
) -> None:
    """Raises Refused unless ``password`` may be a new password."""
    minimum = config.selfServicePasswordMinLength
    if len(password) < minimum:
        raise Refused(messages.PASSWORD_TOO_SHORT.format(length=minimum), "password")
    if len(password) > MAX_PASSWORD:
        raise Refused(messages.PASSWORD_TOO_LONG.format(length=MAX_PASSWORD), "password")
    folded = password.lower()
    if folded in common_passwords():
        raise Refused(messages.PASSWORD_COMMON, "password")
    if folded in {username.lower(), email.lower()} - {""}:
        raise Refused(messages.PASSWORD_IS_NAME, "password")


def check_username(username: str) -> str:
    """The username as stored (trimmed), or Refused."""
    value = username.strip()
    if (
        not value
        or len(value) > MAX_USERNAME
        or any(c.isspace() or unicodedata.category(c).startswith("C") for c in value)
    ):
        raise Refused(messages.USERNAME_INVALID.format(length=MAX_USERNAME), "username")
    return value


def check_email(email: str) -> str:
    """The address as stored (trimmed), or Refused: one ``@`` with something on each side,
    a dot in the domain, no spaces or control characters. Whether it works is what the
    verification link finds out."""
    value = email.strip()
    local, _, domain = value.rpartition("@")
    if (
        not local
        or "." not in domain.strip(".")
        or len(value) > MAX_EMAIL
        or any(c.isspace() or unicodedata.category(c).startswith("C") for c in value)
    ):
        raise Refused(messages.EMAIL_INVALID, "email")
    return value


def check_name(name: str) -> str:
    value = name.strip()
    if len(value) > MAX_NAME or any(unicodedata.category(c).startswith("C") for c in value):
        raise Refused(messages.NAME_INVALID.format(length=MAX_NAME), "name")
    return value
