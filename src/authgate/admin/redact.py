"""Redaction of secrets before anything reaches the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.appconfig import SECRET_PROPERTIES

REDACTED = "[REDACTED]"

#: Member names whose values are secret wherever they appear (snake_case and camelCase).
SECRET_NAMES = (
    frozenset(
        {
            "client_secret",
            "secret_hash",
            "password",
            "password_hash",
            "registration_access_token",
            "registration_token_hash",
            "initial_access_token",
            "token_hash",
            "pairwiseCalculationKey",
            "pairwiseCalculationSalt",
            "private_pem",
            "access_token",
            "refresh_token",
        }
    )
    | SECRET_PROPERTIES
)


def redact(value: Any) -> Any:
    """A copy of ``value`` with the value of every secret member replaced by a marker."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if k in SECRET_NAMES and v is not None else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
