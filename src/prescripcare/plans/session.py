"""One connection for a planned operation's loader batches.

Each loader batch normally checks a connection out of the pool for its one
statement: with the pool's pre-ping that is four round trips and a checkout
per batch, more than the statement itself for the dashboard's small reads.
A planned operation knows all its batches run within it, so they share one
autocommit session (each statement still its own snapshot, as `reading`
promises), one batch at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from prescripcare.auth.viewer import Viewer
from prescripcare.graphql.context import Context
from prescripcare.plans.statements import Prepared, rows_of

# Where a planned operation keeps its `SharedReads` in the context's extras.
READS = "planned-reads"


def reads_of(ctx: Context) -> SharedReads:
    """The running planned operation's connection."""
    reads = ctx.extras.get(READS)
    if not isinstance(reads, SharedReads):
        raise RuntimeError("not inside a planned operation")
    return reads


class _Pinned:
    """The shared session as `reading` sees it: its autocommit connection is
    already set up, so asking for it again changes nothing."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def connection(self, **_: Any) -> AsyncConnection:
        return await self._session.connection()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class SharedReads:
    """A session factory handing every loader batch the same session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = _Pinned(session)
        self._lock = asyncio.Lock()
        self._closed = False
        self._memo: dict[tuple[object, ...], asyncio.Future[list[Any]]] = {}

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Any]:
        # asyncpg runs one statement at a time per connection.
        async with self._lock:
            if self._closed:
                # A batch dispatched after its plan was abandoned: nobody
                # waits for it, and the session is going back to the pool.
                raise RuntimeError("the planned operation is over")
            yield self._session

    def fetch(self, prepared: Prepared, viewer: Viewer, **params: Any) -> Awaitable[list[Any]]:
        """The rows of a statement built once (`statements.py`), run on this
        operation's connection as a prepared statement. Asked again with the
        same values within the operation (two fields reading the same rows,
        as a loader's cache would serve them), the same rows, read once."""
        key = (prepared, tuple(sorted((k, _frozen(v)) for k, v in params.items())))
        found = self._memo.get(key)
        if found is None:
            found = asyncio.ensure_future(self._fetch(prepared, viewer, params))
            self._memo[key] = found
        return asyncio.shield(found)

    async def _fetch(self, prepared: Prepared, viewer: Viewer, params: dict[str, Any]) -> list[Any]:
        async with self._lock:
            if self._closed:
                raise RuntimeError("the planned operation is over")
            connection = await self._session.connection()
            compiled = prepared.compiled(viewer, connection.dialect)
            # Through SQLAlchemy's driver-level call, not asyncpg's own: its
            # statement events still see it (statement counts, the floor),
            # and the dialect's prepared-statement cache serves it.
            result = await connection.exec_driver_sql(
                compiled.sql, tuple(prepared.arguments(compiled, viewer, params))
            )
            description = result.cursor.description if result.cursor else None
            records = result.all()
        if description is None:
            raise RuntimeError("a planned read returned no rows description")
        return rows_of(compiled, description, records)

    async def close(self) -> None:
        """Waits for the batch in progress; later ones are refused."""
        async with self._lock:
            self._closed = True
            # Holding the lock, no statement is under way: the rest only wait.
            for future in self._memo.values():
                if not future.done():
                    future.cancel()
                elif not future.cancelled():
                    future.exception()  # seen: an abandoned plan's failure is not news
