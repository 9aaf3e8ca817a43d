"""One worker taking turns on a provider's bucket, as a process of its own:
`python -m tests.notifications.pacer REDIS_URL PREFIX RATE COUNT` prints the
wall-clock time of each turn, one a line."""

from __future__ import annotations

import asyncio
import sys
import time

from redis.asyncio import Redis

from prescripcare.notifications.pace import SendPace
from prescripcare.redis import RedisKeys


async def take_turns(url: str, prefix: str, rate: float, count: int) -> list[float]:
    redis = Redis.from_url(url)
    pace = SendPace(redis, RedisKeys(prefix), {"SMS": rate})
    turns = []
    try:
        for _ in range(count):
            await pace.wait_turn("SMS")
            turns.append(time.time())
    finally:
        await redis.aclose()
    return turns


if __name__ == "__main__":
    url, prefix, rate, count = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    for turn in asyncio.run(take_turns(url, prefix, rate, count)):
        print(repr(turn))
