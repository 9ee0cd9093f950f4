"""The configuration document's secret properties
(:data:`authgate.appconfig.SECRET_PROPERTIES`, such as the pairwise key and salt) are
write-only for administrators.

* They are never returned: the Config API's ``GET`` and ``PATCH`` responses and the CLI
  leave them out (OpenAPI ``writeOnly``), and the audit log shows them redacted.
* A JSON Patch sets one with ``add`` or ``replace`` on the property itself; a patch that does
  not name it keeps the stored value. ``test``, ``move`` and ``copy`` from them, and paths
  below them, are refused: each would reveal the value (a failed ``test`` quotes it, a copy
  makes it readable elsewhere). ``remove`` is refused by :mod:`authgate.admin.config_patch`.
* Error messages about them never quote the value sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.appconfig import SECRET_PROPERTIES
from authgate.errors import InvalidRequest

#: Operations that may name a secret property (as ``path``, never as ``from``).
WRITES = frozenset({"add", "replace", "remove"})


def shown(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` without its secret properties."""
    return {k: v for k, v in document.items() if k not in SECRET_PROPERTIES}


def _secret(pointer: str) -> str | None:
    name = pointer[1:].split("/", 1)[0].replace("~1", "/").replace("~0", "~")
    return name if name in SECRET_PROPERTIES else None


def check_operation(index: int, op: Mapping[str, Any]) -> None:
    """Refuse an operation (JSON Pointer paths already) that would read a secret property.

    Raises:
        InvalidRequest: naming the property, never its value.
    """
    path: str = op["path"]
    name = _secret(path)
    if name is not None and (op["op"] not in WRITES or path != f"/{name}"):
        raise InvalidRequest(
            f"Operation {index} ({op['op']} {path}): {name} is write-only; only add and "
            f"replace of /{name} apply to it"
        )
    source = op.get("from")
    name = _secret(source) if isinstance(source, str) else None
    if name is not None:
        raise InvalidRequest(
            f"Operation {index} ({op['op']} from {source}): {name} is write-only and cannot "
            "be moved or copied"
        )


def is_secret(name: str) -> bool:
    return name in SECRET_PROPERTIES
