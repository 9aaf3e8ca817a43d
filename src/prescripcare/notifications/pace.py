"""Each provider's rate, shared by every worker: a token bucket in Redis.

Provider accounts are rate-limited (Twilio queues or refuses what exceeds an
account's messages per second; SendGrid and FCM answer 429), so the workers
together send at most `rate` per second to each, after a burst of `burst`.

The bucket is the generic cell rate algorithm (one theoretical arrival time,
TAT, per provider) in one Lua script, so taking a turn is atomic across
workers. Unlike the API's limiter (ratelimit/gcra.py), which refuses a
request, a send is never refused: the script books the next free turn and
answers how long to wait for it, so waiting senders go in the order they
asked and nobody polls. Time is Redis' own clock (one clock for every
worker), in microseconds, so a rate of thousands per second stays exact.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from prescripcare.redis import RedisKeys

# KEYS[1] the bucket; ARGV: microseconds per send, burst, and (tests only)
# the time in microseconds instead of Redis' clock. Answers the microseconds
# to wait before sending; the turn is booked either way.
_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now
if ARGV[3] then
  now = tonumber(ARGV[3])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - (burst - 1) * interval - now
if wait < 0 then wait = 0 end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return wait
"""


@dataclass(frozen=True, slots=True)
class Bucket:
    """`per_second` sends a second after a burst of `burst` at once."""

    per_second: float

    @property
    def interval_us(self) -> int:
        return max(1, round(1_000_000 / self.per_second))

    @property
    def burst(self) -> int:
        # A tenth of a second's sends at once: any one-second window sees at
        # most 1.1 x the rate, and a provider's 1 s window never more.
        return max(1, math.floor(self.per_second / 10))


def model_wait(tat: int | None, now: int, bucket: Bucket) -> tuple[int, int]:
    """The script's rule in Python, the slow twin the tests compare it with:
    (microseconds to wait, the new TAT)."""
    start = now if tat is None or tat < now else tat
    wait = max(0, start - (bucket.burst - 1) * bucket.interval_us - now)
    return wait, start + bucket.interval_us


class SendPace:
    """Waits for a turn on a channel's provider; channels with rate 0 (or
    not listed) are not limited by us."""

    def __init__(self, redis: Redis, keys: RedisKeys, rates: Mapping[str, float]) -> None:
        self._script = redis.register_script(_SCRIPT)
        self._buckets = {
            channel: (keys.key("send-pace", channel), Bucket(rate))
            for channel, rate in rates.items()
            if rate > 0
        }

    async def book(self, channel: str, now_us: int | None = None) -> float:
        """Books the next turn; answers the seconds to wait for it."""
        found = self._buckets.get(channel)
        if found is None:
            return 0.0
        key, bucket = found
        args = [bucket.interval_us, bucket.burst]
        if now_us is not None:
            args.append(now_us)
        return int(await self._script(keys=[key], args=args)) / 1_000_000

    async def wait_turn(self, channel: str) -> None:
        wait = await self.book(channel)
        if wait > 0:
            await asyncio.sleep(wait)
