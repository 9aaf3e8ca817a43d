"""One HTTP connection pool for every channel of a process.

The providers are called from the event loop (no thread per send), so a
worker keeps many sends in flight on a few kept-alive connections. aiohttp,
because twilio-python's async client is built on it; SendGrid and FCM go
through the same session. A session belongs to the event loop that made it,
so it is made on first use, in the loop that sends.
"""

from __future__ import annotations

import asyncio

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


# What a provider call can fail with below HTTP: refused, reset, timed out.
UNREACHABLE = (aiohttp.ClientError, TimeoutError, OSError)
