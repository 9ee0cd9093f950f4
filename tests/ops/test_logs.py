"""Log lines as text or JSON, each with the id of the request it belongs to."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys

from authgate.logs import REQUEST_ID, JsonFormatter, RequestIdFilter, logging_config


def _line(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    RequestIdFilter().filter(record)
    return formatter.format(record)


def _record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("authgate.test", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_request_id_and_extra_fields() -> None:
    token = REQUEST_ID.set("rid-1")
    try:
        line = _line(JsonFormatter(), _record("hello %s", "world", route="/token", status=200))
    finally:
        REQUEST_ID.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["level"] == "INFO" and entry["logger"] == "authgate.test"
    assert entry["request_id"] == "rid-1"
    assert entry["route"] == "/token" and entry["status"] == 200
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert "\n" not in line


def test_json_lines_outside_requests_have_no_request_id_and_keep_tracebacks() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord(
            "authgate.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    entry = json.loads(_line(JsonFormatter(), record))
    assert "request_id" not in entry
    assert "ValueError: bad" in entry["exception"]


def test_text_lines_show_the_request_id() -> None:
    config = logging_config("text", "info")
    formatter = logging.Formatter(config["formatters"]["authgate"]["format"])
    token = REQUEST_ID.set("rid-2")
    try:
        inside = _line(formatter, _record())
    finally:
        REQUEST_ID.reset(token)
    outside = _line(formatter, _record())
    assert "[rid-2]: hello" in inside
    assert "[-]: hello" in outside


def test_the_configuration_routes_every_logger_through_one_json_handler() -> None:
    config = logging_config("json", "debug")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    try:
        logging.config.dictConfig(config)
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        logging.getLogger("uvicorn.error").info("from uvicorn")
        logging.getLogger("authgate.x").debug("from authgate")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["logger"], e["message"]) for e in lines] == [
        ("uvicorn.error", "from uvicorn"),
        ("authgate.x", "from authgate"),
    ]
