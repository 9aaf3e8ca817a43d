"""Which partitions of `doses` a statement's plan reads: the statements an
operation runs are captured as they go, then each is EXPLAINed with its own
parameters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class Captured:
    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if " doses" in statement and not statement.lstrip().upper().startswith("EXPLAIN"):
            self.statements.append((statement, parameters))


@contextmanager
def capture(engine: AsyncEngine) -> Iterator[Captured]:
    captured = Captured()
    event.listen(engine.sync_engine, "before_cursor_execute", captured)
    try:
        yield captured
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", captured)


def _relations(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "Relation Name" in node:
            yield str(node["Relation Name"])
        for value in node.values():
            yield from _relations(value)
    elif isinstance(node, list):
        for item in node:
            yield from _relations(item)


async def partitions_read(engine: AsyncEngine, statement: str, parameters: Any) -> set[str]:
    """The partitions of `doses` in the statement's plan (EXPLAIN without
    ANALYZE: nothing runs, pruning at plan time is what shows)."""
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan = result.scalar_one()
        await conn.rollback()
    document = json.loads(plan) if isinstance(plan, str) else plan
    return {name for name in _relations(document) if name.startswith("doses_")}
