"""The floor: the SQL our server issues for one request, replayed through
asyncpg with no GraphQL, no HTTP and no ORM.

The statements are captured from the app itself (SQLAlchemy's
before_cursor_execute, the hook the statement-count tests use), with their
bound parameters exactly as asyncpg receives them, so the replay runs the
same plans. Each simulated request runs them one after another on one
connection; `connections` of these run side by side for the given time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event

from loadbench.wrk import LoadResult
from prescripcare.app import create_app, resources_of
from prescripcare.settings import Settings


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[Any, ...]


async def capture(
    settings: Settings, payload: dict[str, object], headers: dict[str, str]
) -> tuple[list[Statement], dict[str, Any]]:
    """The statements one request issues, and its response body."""
    app = create_app(settings)
    async with LifespanManager(app):
        engine = resources_of(app).engine.sync_engine
        seen: list[Statement] = []

        def record(_c: object, _cur: object, sql: str, params: Any, *_: object) -> None:
            seen.append(Statement(sql, tuple(params or ())))

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            # A first request warms the caches (catalog, plans) it would have
            # warm under load; the second is the one recorded.
            await client.post("/graphql", json=payload, headers=headers)
            event.listen(engine, "before_cursor_execute", record)
            try:
                response = await client.post("/graphql", json=payload, headers=headers)
            finally:
                event.remove(engine, "before_cursor_execute", record)
        return seen, response.json()


async def replay(
    dsn: str, statements: Sequence[Statement], *, connections: int, seconds: float
) -> LoadResult:
    timings: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
        try:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                for s in statements:
                    await conn.fetch(s.sql, *s.params)
                timings.append(time.perf_counter() - started)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    timings.sort()
    return LoadResult(
        requests=len(timings),
        seconds=elapsed,
        p50_ms=_percentile(timings, 50) * 1000,
        p99_ms=_percentile(timings, 99) * 1000,
        failures=0,
    )


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
