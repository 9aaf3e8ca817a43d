"""The Redis client and the deployment's key prefix."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

from prescripcare.settings import Settings


class RedisKeys:
    """Builds every Redis key and channel name under the deployment prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


# How long a command waits for a free connection before it fails.
POOL_WAIT_SECONDS = 5


def create_redis(settings: Settings) -> Redis:
    """The process's client: at most REDIS_POOL_MAX connections (one of them
    the live-status reader's blocking XREAD, realtime/hub.py)."""
    pool = BlockingConnectionPool.from_url(
        settings.require_redis_url(),
        decode_responses=True,
        max_connections=settings.redis_pool_max,
        timeout=POOL_WAIT_SECONDS,
    )
    client: Redis = Redis.from_pool(pool)  # closed with the client
    return client
