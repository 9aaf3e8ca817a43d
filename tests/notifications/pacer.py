"""One worker taking turns on a provider's bucket, as a process of its own:
`python -m tests.notifications.pacer REDIS_URL PREFIX RATE COUNT START` takes
COUNT turns from the wall-clock instant START (so that processes started one
after the other begin together) and prints the time of each, one a line."""

from __future__ import annotations

import asyncio
import sys
import time

from redis.asyncio import Redis

from prescripcare.notifications.pace import SendPace
from prescripcare.redis import RedisKeys


async def take_turns(url: str, prefix: str, rate: float, count: int, start: float) -> list[float]:
    redis = Redis.from_url(url)
    pace = SendPace(redis, RedisKeys(prefix), {"SMS": rate})
    turns = []
    await asyncio.sleep(max(0.0, start - time.time()))
    try:
        for _ in range(count):
            await pace.wait_turn("SMS")
            turns.append(time.time())
    finally:
        await redis.aclose()
    return turns


if __name__ == "__main__":
    url, prefix, rate, count = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    for turn in asyncio.run(take_turns(url, prefix, rate, count, float(sys.argv[5]))):
        print(repr(turn))
