"""Applying an RFC 6902 JSON Patch to the configuration document, and validating the result.

Pure functions: no I/O. Janssen's Config API accepts both ``/prop`` and bare ``prop`` paths
(docs/janssen-compatibility.md §9.1), so a path without a leading slash is read as a JSON
Pointer from the root. The patched document is validated strictly, as JSON: ``"300"`` is not an
integer and ``"false"`` is not a boolean. Every error message names the property (and never
quotes a value sent for a secret one: :mod:`authgate.admin.config_secrets`).
"""

from __future__ import annotations

import re
from typing import Any

import jsonpatch
import jsonpointer
import orjson
from pydantic import ValidationError

from authgate.admin import config_secrets
from authgate.admin.errors import Conflict
from authgate.admin.redact import SECRET_NAMES
from authgate.appconfig import AppConfiguration
from authgate.errors import InvalidRequest, ServerError

OPERATIONS = frozenset({"add", "remove", "replace", "move", "copy", "test"})
#: Generated secrets whose silent regeneration would change every pairwise subject.
NOT_REMOVABLE = frozenset({"pairwiseCalculationKey", "pairwiseCalculationSalt"})


def _pointer(value: Any, where: str) -> str:
    if not isinstance(value, str) or value in ("", "/"):
        raise InvalidRequest(f"{where} must name a configuration property, like /requirePkce")
    return value if value.startswith("/") else "/" + value


def _property(pointer: str) -> str:
    return pointer[1:].split("/", 1)[0].replace("~1", "/").replace("~0", "~")


def normalise(body: Any) -> list[dict[str, Any]]:
    """Check the patch's shape and make every path a JSON Pointer.

    Raises:
        InvalidRequest: not an array of operations, an unknown ``op``, a missing ``value``,
            or a path that names no configuration property.
    """
    if not isinstance(body, list) or not body:
        raise InvalidRequest("The body must be a JSON Patch: a non-empty array of operations")
    known = AppConfiguration.model_fields
    patch: list[dict[str, Any]] = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            raise InvalidRequest(f"Operation {index} is not a JSON object")
        op = item.get("op")
        if not isinstance(op, str) or op not in OPERATIONS:  # a list or object is unhashable
            raise InvalidRequest(f"Operation {index}: op must be one of {sorted(OPERATIONS)}")
        fixed = dict(item, path=_pointer(item.get("path"), f"Operation {index}: path"))
        if op in ("add", "replace", "test") and "value" not in item:
            raise InvalidRequest(f"Operation {index} ({op} {fixed['path']}) needs a value")
        if op in ("move", "copy"):
            fixed["from"] = _pointer(item.get("from"), f"Operation {index}: from")
        for pointer in (fixed["path"], fixed.get("from")):
            if pointer is not None and _property(pointer) not in known:
                raise InvalidRequest(f"{_property(pointer)}: unknown configuration property")
        config_secrets.check_operation(index, fixed)
        patch.append(fixed)
    return patch


#: jsonpointer's message for a missing member quotes the whole container it looked in.
_MISSING_IN = re.compile(r"^(member '.*' not found) in .*$", re.DOTALL)


def _reason(exc: Exception) -> str:
    """Why an operation failed, without the document's values: jsonpointer quotes the
    container of a missing member, which may hold a secret."""
    text = str(exc)
    if isinstance(exc, jsonpointer.JsonPointerException):
        text = _MISSING_IN.sub(r"\1", text)
        if text.startswith("Document "):  # "Document '<value>' does not support indexing"
            text = "the value at that path cannot be indexed"
    return text


def apply(document: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """The document with ``patch`` applied (the input is not modified).

    Raises:
        Conflict: a ``test`` operation failed.
        InvalidRequest: an operation cannot be applied (missing member, bad index, ...).
    """
    patched: Any = document
    for index, op in enumerate(patch):
        where = f"Operation {index} ({op['op']} {op['path']})"
        try:
            patched = jsonpatch.apply_patch(patched, [op], in_place=False)
        except jsonpatch.JsonPatchTestFailed:
            # never the values: the current one may be a secret (pairwiseCalculationKey),
            # and this message is also logged
            raise Conflict(
                f"{where}: JSON Patch test failed: the value there is not the tested one"
            ) from None
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
            TypeError,
            ValueError,
            KeyError,
            IndexError,
        ) as exc:
            raise InvalidRequest(f"{where} cannot be applied: {_reason(exc)}") from None
    if not isinstance(patched, dict):
        raise InvalidRequest("The JSON Patch must leave a JSON object")
    for name in sorted(NOT_REMOVABLE - set(patched)):
        raise InvalidRequest(
            f"{name}: cannot be removed (a new value would change every pairwise subject); "
            "replace it instead"
        )
    return patched


def _location(loc: tuple[int | str, ...]) -> str:
    return "/".join(str(part) for part in loc)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _secret(loc: tuple[int | str, ...]) -> bool:
    return any(part in SECRET_NAMES for part in loc)


def _shown(value: str | int | float | bool | None) -> str:
    """A scalar as JSON; an integer beyond 64 bits (JSON allows it) as its digits."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def describe(exc: ValidationError) -> str:
    """One sentence per problem, each starting with the property's name (or path). The value
    is quoted for scalars, except the value of a secret member (a password, a secret)."""
    parts = []
    for error in exc.errors(include_url=False):
        where = _location(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown configuration property"
        elif _secret(error["loc"]):
            pass
        elif (
            error["type"] != "json_invalid"
            and _scalar(error.get("input", ()))
            and not (error["loc"] and config_secrets.is_secret(str(error["loc"][0])))
        ):
            shown = _shown(error["input"])
            message = f"{message} (got {shown if len(shown) <= 80 else shown[:77] + '...'})"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def validate(document: dict[str, Any]) -> AppConfiguration:
    """Validate a patched document strictly, as JSON.

    Raises:
        InvalidRequest: naming each offending property.
    """
    try:
        return AppConfiguration.model_validate_json(orjson.dumps(document), strict=True)
    except ValidationError as exc:
        raise InvalidRequest(f"Invalid configuration: {describe(exc)}") from None


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the properties whose values differ."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def validate_stored(document: dict[str, Any]) -> dict[str, Any]:
    """The stored document with every property present (defaults for properties added by a
    newer authgate version).

    Raises:
        ServerError: the stored document is invalid (edited outside authgate).
    """
    try:
        return AppConfiguration.from_document(document).to_document()
    except ValidationError as exc:
        raise ServerError(f"The stored configuration is invalid: {describe(exc)}") from None
