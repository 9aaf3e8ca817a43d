"""SQL timings and pool use from SQLAlchemy's engine events."""

from __future__ import annotations

import re
import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from prescripcare.observability.metrics import (
    DATABASE_POOL_IN_USE,
    DATABASE_POOL_MAX,
    DATABASE_QUERY_DURATION,
)

_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})
_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+\"?([A-Za-z_][A-Za-z0-9_]*)\"?", re.IGNORECASE)
_START = "prescripcare_query_start"


def classify(statement: str, tables: frozenset[str]) -> tuple[str, str]:
    """(query_type, table): the SQL verb and the first table named, each
    reduced to a bounded set ("OTHER", "other"; `tables`, the schema's) so no
    value comes from data."""
    words = statement.lstrip().split(None, 1)
    verb = words[0].upper() if words else ""
    query_type = verb if verb in _VERBS else "OTHER"
    match = _TABLE.search(statement)
    name = match.group(1).lower() if match else ""
    return query_type, name if name in tables else "other"


def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    conn.info.setdefault(_START, []).append(time.perf_counter())


_engines: dict[str, weakref.WeakSet[Engine]] = {}


def _in_use(role: str) -> float:
    # engine.pool is read each time: dispose() swaps in a fresh pool.
    return float(sum(getattr(e.pool, "checkedout", lambda: 0)() for e in _engines.get(role, ())))


def instrument_engine(
    engine: AsyncEngine, role: str, pool_max: int, tables: frozenset[str]
) -> None:
    """Times every statement, labelled by `classify` against `tables` (the
    caller's: `db.py` knows the schema, this module does not import it)."""

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        starts = conn.info.get(_START)
        if not starts:
            return
        elapsed = time.perf_counter() - starts.pop()
        query_type, table = classify(statement, tables)
        DATABASE_QUERY_DURATION.labels(query_type, table).observe(elapsed)

    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", _before)
    event.listen(sync, "after_cursor_execute", after)
    event.listen(sync, "handle_error", _failed)
    if role not in _engines:
        _engines[role] = weakref.WeakSet()
        # Read at scrape time, over every live engine of the role (a process
        # has one; tests and CLI commands may briefly hold more).
        DATABASE_POOL_IN_USE.labels(role).set_function(lambda: _in_use(role))
    _engines[role].add(sync)
    DATABASE_POOL_MAX.labels(role).set(pool_max)


def _failed(context: Any) -> None:
    # A failed statement never reaches after_cursor_execute: drop its start.
    conn = context.connection
    if conn is not None and conn.info.get(_START):
        conn.info[_START].pop()
