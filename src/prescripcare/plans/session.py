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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


class _Pinned:
    """The shared session as `reading` sees it: its autocommit connection is
    already set up, so asking for it again changes nothing."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def connection(self, **_: Any) -> AsyncConnection:
        return await self._session.connection()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class SharedReads:
    """A session factory handing every loader batch the same session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = _Pinned(session)
        self._lock = asyncio.Lock()
        self._closed = False

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Any]:
        # asyncpg runs one statement at a time per connection.
        async with self._lock:
            if self._closed:
                # A batch dispatched after its plan was abandoned: nobody
                # waits for it, and the session is going back to the pool.
                raise RuntimeError("the planned operation is over")
            yield self._session

    async def close(self) -> None:
        """Waits for the batch in progress; later ones are refused."""
        async with self._lock:
            self._closed = True
