"""A process holds at most REDIS_POOL_MAX Redis connections: a burst of
commands (thousands of sockets subscribing at once) waits for free ones
instead of opening connections that then stay open."""

from __future__ import annotations

import asyncio
import uuid

from prescripcare.redis import create_redis
from prescripcare.settings import Settings


async def test_a_burst_of_commands_stays_within_the_pool(settings: Settings) -> None:
    client = create_redis(settings.model_copy(update={"redis_pool_max": 3}))
    key = f"pooltest-{uuid.uuid4().hex[:8]}"
    try:
        await asyncio.gather(*(client.incr(key) for _ in range(200)))
        assert int(await client.get(key) or 0) == 200
        pool = client.connection_pool
        opened = len(pool._available_connections) + len(pool._in_use_connections)
        assert opened <= 3
    finally:
        await client.delete(key)
        await client.aclose()


async def test_the_default_is_a_handful(settings: Settings) -> None:
    client = create_redis(settings)
    assert client.connection_pool.max_connections == 10
    await client.aclose()
