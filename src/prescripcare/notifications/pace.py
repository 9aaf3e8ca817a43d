"""Each provider's rate, shared by every worker: a token bucket in Redis.

Provider accounts are rate-limited (Twilio queues or refuses what exceeds an
account's messages per second; SendGrid and FCM answer 429), so the workers
together send at most `rate` per second to each, after a burst of `burst`.

The bucket is the generic cell rate algorithm (one theoretical arrival time,
TAT, per provider) in one Lua script, so taking a turn is atomic across
workers. Unlike the API's limiter (ratelimit/gcra.py), which refuses a
request, a send is never refused: the script books the next free turn and
answers how long to wait for it, so waiting senders go in the order they
asked and nobody polls. A worker books up to 16 turns per call. Time is
Redis' own clock (one clock for every worker), in microseconds, so a rate
of thousands per second stays exact.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from prescripcare.redis import RedisKeys

# KEYS[1] the bucket; ARGV: microseconds per send, burst, turns to book, and
# (tests only) the time in microseconds instead of Redis' clock. Books the
# next `turns` turns and answers `base`: turn j (from 0) may go after
# max(0, base + j * interval) microseconds.
_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local turns = tonumber(ARGV[3])
local now
if ARGV[4] then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local base = tat - (burst - 1) * interval - now
tat = tat + turns * interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return base
"""
# Turns a worker books at once (at most the burst): one Redis call per this
# many sends.
BLOCK = 16


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


def model_book(tat: int | None, now: int, bucket: Bucket, turns: int) -> tuple[list[int], int]:
    """The script's rule in Python, one turn at a time, the slow twin the
    tests compare it with: (microseconds to wait for each turn, the new TAT)."""
    waits = []
    for _ in range(turns):
        start = now if tat is None or tat < now else tat
        waits.append(max(0, start - (bucket.burst - 1) * bucket.interval_us - now))
        tat = start + bucket.interval_us
    assert tat is not None
    return waits, tat


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
        # Turns booked and not yet taken, per channel: event-loop times.
        self._booked: dict[str, deque[float]] = {}
        # One booking at a time per channel: the others take its turns.
        self._booking: dict[str, asyncio.Lock] = {}

    async def book(self, channel: str, turns: int = 1, now_us: int | None = None) -> list[float]:
        """Books the next `turns` turns; answers the seconds to wait for each."""
        found = self._buckets.get(channel)
        if found is None:
            return [0.0] * turns
        key, bucket = found
        args = [bucket.interval_us, bucket.burst, turns]
        if now_us is not None:
            args.append(now_us)
        base = int(await self._script(keys=[key], args=args))
        return [max(0, base + j * bucket.interval_us) / 1_000_000 for j in range(turns)]

    async def wait_turn(self, channel: str) -> None:
        found = self._buckets.get(channel)
        if found is None:
            return
        bucket = found[1]
        # A turn used late may overlap the next one: at most a burst's worth
        # (a tenth of a second) late, so a window never sees more than twice
        # the burst; older turns are dropped unused.
        stale = bucket.burst * bucket.interval_us / 1_000_000
        loop = asyncio.get_running_loop()
        booked = self._booked.setdefault(channel, deque())
        async with self._booking.setdefault(channel, asyncio.Lock()):
            while booked and booked[0] < loop.time() - stale:
                booked.popleft()
            if not booked:
                asked = loop.time()
                waits = await self.book(channel, min(BLOCK, bucket.burst))
                booked.extend(asked + wait for wait in waits)
            turn = booked.popleft()
        wait = turn - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
