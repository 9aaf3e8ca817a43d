"""One reader of the reminder-event stream per process, fanning events out in
memory to every subscriber of that process.

A subscriber per Redis connection would make a pod's Redis connections grow
with its sockets (a clinic's dashboard wall, a care home's tablets); here a
process holds one blocking XREAD whatever its subscriber count, and each
subscriber gets a bounded queue. What a subscriber may see is still decided
per subscriber, by its own viewer (reminders/subscription.py): the hub only
carries events.

Nothing is lost between replay and live events: a subscriber registers first
(its queue buffers from then on), then reads what it missed from Redis
(XRANGE after its last id), then takes its queue, skipping the ids it has
already given. A subscriber whose queue overflows (a consumer slower than the
stream) is not dropped: its queue is emptied and it catches up from Redis
with that same replay, so memory stays bounded and the order and exactly-once
delivery of the stream hold.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

from prescripcare.realtime.events import READ_COUNT, Event, stream_key
from prescripcare.redis import RedisKeys

log = logging.getLogger("prescripcare.realtime")
# How long the reader's XREAD blocks: also how soon it notices that its last
# subscriber has gone.
READ_BLOCK = timedelta(seconds=1)
# Events a subscriber may have waiting before it catches up from Redis instead.
QUEUE_CAPACITY = 1000
RETRY_AFTER_ERROR = timedelta(seconds=1)
# Replays (a subscriber starting or catching up) read Redis a few at a time,
# so a thousand sockets opening at once do not open a thousand connections.
CONCURRENT_REPLAYS = 4


def _position(event_id: str) -> tuple[int, int]:
    millis, _, sequence = event_id.partition("-")
    return int(millis), int(sequence or 0)


class _Subscriber:
    def __init__(self, wants: Callable[[Event], bool] | None) -> None:
        self.wants = wants
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_CAPACITY)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()


class EventHub:
    """The process's one stream reader; `follow` is what a subscriber iterates."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._key = stream_key(keys)
        self._subscribers: set[_Subscriber] = set()
        self._reader: asyncio.Task[None] | None = None
        self._replays = asyncio.Semaphore(CONCURRENT_REPLAYS)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def follow(
        self,
        after: str | None,
        tick: timedelta,
        wants: Callable[[Event], bool] | None = None,
    ) -> AsyncIterator[Event | None]:
        """Events after `after` (what was missed first), then live ones as
        they come; None whenever `tick` passes without one, so the caller can
        check the clock and the session.

        `wants`, when given, is asked by the reader (synchronously, for each
        live event) whether this subscriber could want it: False leaves the
        subscriber asleep. It narrows, never decides: replayed events and
        every event it lets through still pass the caller's own checks."""
        subscriber = _Subscriber(wants)
        self._join(subscriber)
        try:
            last = after if after is not None else await self._newest()
            # The first replay also covers what arrived while the reader started.
            replay = True
            while True:
                if replay or subscriber.overflowed:
                    replay = subscriber.overflowed = False
                    async for event in self._replay(last):
                        last = event.id
                        yield event
                try:
                    async with asyncio.timeout(tick.total_seconds()):
                        event = await subscriber.queue.get()
                except TimeoutError:
                    if not subscriber.overflowed:
                        yield None
                    continue
                if subscriber.overflowed or _position(event.id) <= _position(last):
                    continue  # emptied for a catch-up from Redis, or already replayed
                last = event.id
                yield event
        finally:
            self._subscribers.discard(subscriber)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    def _join(self, subscriber: _Subscriber) -> None:
        self._subscribers.add(subscriber)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="reminder-event-reader")

    async def _newest(self) -> str:
        async with self._replays:
            newest = await self._redis.xrevrange(self._key, count=1)
        return str(newest[0][0]) if newest else "0-0"

    async def _replay(self, after: str) -> AsyncIterator[Event]:
        """Everything in the stream after `after`, in bounded pages."""
        last = after
        while True:
            async with self._replays:
                page = await self._redis.xrange(self._key, min=f"({last}", count=READ_COUNT)
            for entry_id, fields in page:
                last = entry_id
                yield Event.parse(entry_id, fields)
            if len(page) < READ_COUNT:
                return

    async def _read(self) -> None:
        """Reads the stream while anyone listens, handing each event to every
        subscriber of this process."""
        last: str | None = None
        block = max(1, int(READ_BLOCK.total_seconds() * 1000))
        while self._subscribers:
            try:
                if last is None:
                    last = await self._newest()
                answer = await self._redis.xread({self._key: last}, count=READ_COUNT, block=block)
            except RedisError:
                # Subscribers keep ticking; the reader resumes where it was.
                log.warning("reading the reminder-event stream failed; retrying", exc_info=True)
                await asyncio.sleep(RETRY_AFTER_ERROR.total_seconds())
                continue
            for _, entries in answer or ():
                for entry_id, fields in entries:
                    last = entry_id
                    event = Event.parse(entry_id, fields)
                    # Subscribers that cannot want the event are not woken: with
                    # thousands of sockets, most events concern few of them.
                    for subscriber in tuple(self._subscribers):
                        if subscriber.wants is None or subscriber.wants(event):
                            subscriber.offer(event)
