"""Config API errors beyond RFC 6749's vocabulary; rendered by :mod:`authgate.web.errors`."""

from __future__ import annotations

from authgate.errors import OAuthError


class NotFound(OAuthError):
    """The addressed client, scope, user, key or session does not exist."""

    error = "not_found"
    status_code = 404


class Conflict(OAuthError):
    """The change collides with the current state (duplicate id, failed JSON Patch test,
    or a concurrent change that kept winning)."""

    error = "conflict"
    status_code = 409


class UnsupportedMediaType(OAuthError):
    """The request body has the wrong Content-Type (e.g. PATCH without json-patch+json)."""

    error = "invalid_request"
    status_code = 415
