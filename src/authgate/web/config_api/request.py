"""Request helpers shared by the Config API handlers: the admin service, bodies, paging."""

from __future__ import annotations

import contextlib
from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from authgate.admin.config_patch import describe
from authgate.admin.errors import UnsupportedMediaType
from authgate.admin.service import AdminService
from authgate.assembly import admin_service
from authgate.core.params import check_json
from authgate.errors import InvalidRequest
from authgate.web.context import read_body

M = TypeVar("M", bound=BaseModel)


def admin(request: Request) -> AdminService:
    """The app's admin service, built once from its runtime."""
    state = request.app.state
    service: AdminService | None = getattr(state, "admin_service", None)
    if service is None or service.context.services is not state.runtime.services:
        service = admin_service(state.runtime)
        state.admin_service = service
    return service


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def json_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; 415 for another media type, 400 naming the
    offending member for invalid content or a control character in any string."""
    if content_type(request) != "application/json":
        raise UnsupportedMediaType("The request body must be application/json")
    raw = await read_body(request)
    with contextlib.suppress(orjson.JSONDecodeError):  # model_validate_json names the problem
        check_json(orjson.loads(raw))
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise InvalidRequest(f"Invalid request body: {describe(exc)}") from None


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name}: must be an integer") from None
    if not low <= value <= high:
        raise InvalidRequest(f"{name}: must be between {low} and {high}")
    return value


def paging(request: Request) -> tuple[str | None, int, int]:
    """``pattern``, ``limit`` (1-500, default 50) and 1-based ``startIndex`` as an offset."""
    limit = _int(request, "limit", 50, 1, 500)
    start = _int(request, "startIndex", 1, 1, 1_000_000_000)
    return request.query_params.get("pattern") or None, limit, start - 1
