"""Log records as text or JSON lines, each with the id of the request it belongs to.

:func:`logging_config` is the one logging setup: :mod:`authgate.cli` applies it in the
``serve`` process and hands it to uvicorn, which applies it again in every worker process.
Everything else logs through ``logging.getLogger(__name__)`` and never configures logging.

The request id comes from :data:`REQUEST_ID`, which the web layer sets for the duration of
each request (:mod:`authgate.web.observe`); :class:`RequestIdFilter` copies it onto every
record that passes a handler, whichever logger made it.
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import time
from typing import Any, Literal

import orjson

LogFormat = Literal["text", "json"]

#: The id of the request being served in this task; None outside requests.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "authgate_request_id", default=None
)
#: Shown for records made outside any request.
NO_REQUEST = "-"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
#: Attributes every ``LogRecord`` has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
    "taskName",
}


class RequestIdFilter(logging.Filter):
    """Give each record a ``request_id`` attribute: the current request's id, or ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get() or NO_REQUEST
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, RFC 3339), ``level``, ``logger``,
    ``message``, ``request_id`` when the record belongs to a request, the fields passed with
    ``extra=``, and ``exception`` with the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        moment = time.gmtime(record.created)
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", moment) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id and request_id != NO_REQUEST:
            entry["request_id"] = request_id
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def logging_config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` document: one stderr handler on the root logger
    in ``log_format``, with request ids; uvicorn's loggers propagate to it.

    Args:
        log_format: ``text`` or ``json``.
        level: The root level (``info``, ``debug``, ...).
    """
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"authgate": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "authgate",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            # uvicorn's own setup would give these handlers and formats of their own
            **{
                name: {"handlers": [], "propagate": True}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
            # alembic names each of its plugins at level info as it is imported
            "alembic.runtime.plugins": {"level": "WARNING"},
        },
    }


def configure(log_format: LogFormat, level: str) -> dict[str, Any]:
    """Apply :func:`logging_config` to this process and return it."""
    config = logging_config(log_format, level)
    logging.config.dictConfig(config)
    return config
