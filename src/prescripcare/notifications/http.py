"""One HTTP connection pool for every channel of a process.

The providers are called from the event loop (no thread per send), so a
worker keeps many sends in flight on a few kept-alive connections. aiohttp,
because twilio-python's async client is built on it; SendGrid and FCM go
through the same session. A session belongs to the event loop that made it,
so it is made on first use, in the loop that sends; aiohttp is imported
then too (a sixth of a second of start-up that a process sending nowhere but
the console, as `prescripcare dev` does, never spends). What a call can fail
with below HTTP: notifications/unreachable.py.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp

# A provider that has not answered in this long is treated as unreachable
# (a transient error: the send is retried with backoff).
TIMEOUT_SECONDS = 10.0


class HttpPool:
    def __init__(self, connections: int = 64) -> None:
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            )
            self._loop = loop
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
