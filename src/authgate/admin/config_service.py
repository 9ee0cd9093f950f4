"""Use cases on the auth-server configuration document: read it, patch it
(docs/janssen-compatibility.md §9.1).

Secret properties are write-only (:mod:`authgate.admin.config_secrets`): never returned, set
by a patch that names them, kept by one that does not.

A patch is applied to the stored document, validated, and saved with compare-and-set on the
document's revision, together with its audit entry. When another writer got in first, the
patch is re-applied to the newer document (a few times, then 409). The instance that made the
change reloads at once and announces it (:mod:`authgate.changes`): every other process sharing
the database reloads within milliseconds, or at the latest at its next poll
(``config_poll_interval``) if the notice is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authgate.admin import config_checks, config_patch, config_secrets
from authgate.admin.context import Actor, AdminContext
from authgate.admin.errors import Conflict
from authgate.admin.redact import redact
from authgate.admin_records import AuditEntry
from authgate.changes import CONFIG
from authgate.errors import ServerError

ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class PatchResult:
    """The document after a patch (without its secret properties), its revision, and which
    properties changed."""

    document: dict[str, Any]
    revision: int
    changed: tuple[str, ...]


class ConfigAdmin:
    def __init__(self, ctx: AdminContext) -> None:
        self._ctx = ctx

    async def _load(self) -> tuple[int, dict[str, Any]]:
        loaded = await self._ctx.config_store.load()
        if loaded is None:
            raise ServerError("The configuration document is missing; restart the server")
        return loaded

    async def get(self) -> dict[str, Any]:
        """The stored document with every property (defaults filled in) except the secret
        ones, which are write-only (:mod:`authgate.admin.config_secrets`)."""
        _, document = await self._load()
        return config_secrets.shown(config_patch.validate_stored(document))

    async def patch(self, body: Any, actor: Actor) -> PatchResult:
        """Apply an RFC 6902 JSON Patch; nothing is stored unless the result is valid.

        Raises:
            InvalidRequest: malformed patch or invalid result, naming the property (and, for
                the lists of protocol names it changes, a value this server does not
                implement: :mod:`authgate.admin.config_checks`).
            Conflict: a ``test`` operation failed, or concurrent writers kept winning.
        """
        patch = config_patch.normalise(body)
        for _ in range(ATTEMPTS):
            revision, stored = await self._load()
            current = config_patch.validate_stored(stored)
            patched = config_patch.apply(current, patch)
            config = config_patch.validate(patched)
            document = config.to_document()
            names = config_patch.changed(current, document)
            if not names:
                return PatchResult(config_secrets.shown(current), revision, ())
            config_checks.check_changed(config, names)
            entry = AuditEntry(
                actor=actor.name,
                action="config.patch",
                target_type="config",
                target_id="jans-auth",
                at=self._ctx.now(),
                before=redact({n: current.get(n) for n in names}),
                after=redact({n: document.get(n) for n in names}),
            )
            if await self._ctx.store.save_config(document, revision, entry):
                await self._ctx.reloaded(CONFIG)
                return PatchResult(config_secrets.shown(document), revision + 1, tuple(names))
        raise Conflict("The configuration kept changing concurrently; try again")

    async def set_properties(self, changes: Mapping[str, Any], actor: Actor) -> PatchResult:
        """Replace properties (the CLI's ``config set``) in one patch: one revision, all or
        none of them."""
        ops = [{"op": "replace", "path": f"/{name}", "value": v} for name, v in changes.items()]
        return await self.patch(ops, actor)
