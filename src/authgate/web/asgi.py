"""Entry point for ASGI servers: ``uvicorn --factory authgate.web.asgi:app_factory``.

Settings come from ``AUTHGATE_*`` environment variables (``authgate serve`` sets them for its
workers). The database must already be migrated (``authgate migrate`` or ``authgate serve``).
"""

from __future__ import annotations

import logging
import os

from starlette.applications import Starlette

from authgate.settings import Settings
from authgate.web.app import create_app


def app_factory() -> Starlette:
    settings = Settings()
    logging.basicConfig(level=os.environ.get("AUTHGATE_LOG_LEVEL", "INFO").upper())
    return create_app(settings, migrate=False)
