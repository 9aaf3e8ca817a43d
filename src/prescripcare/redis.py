"""The Redis client and the deployment's key prefix."""

from __future__ import annotations

from redis.asyncio import Redis

from prescripcare.settings import Settings


class RedisKeys:
    """Builds every Redis key and channel name under the deployment prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


def create_redis(settings: Settings) -> Redis:
    client: Redis = Redis.from_url(settings.require_redis_url(), decode_responses=True)
    return client
