"""One stream reader per process: subscribers get exactly the stream (the
slow twin: XRANGE over the same key), in order, none twice, across replay,
live events and overflow, on a constant number of Redis connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from prescripcare.realtime import hub as hub_module
from prescripcare.realtime.events import Event, EventKind, publish, stream_key
from prescripcare.realtime.hub import EventHub
from prescripcare.redis import RedisKeys

TICK = timedelta(milliseconds=100)


@pytest.fixture
async def redis(service_urls: tuple[str, str]) -> AsyncIterator[tuple[Redis, RedisKeys, str]]:
    name = f"hubtest-{uuid.uuid4().hex[:8]}"
    client: Redis = Redis.from_url(service_urls[1], decode_responses=True, client_name=name)
    keys = RedisKeys(name)
    yield client, keys, name
    await client.delete(stream_key(keys))
    await client.aclose()


def _events(count: int) -> list[Event]:
    patient = uuid.uuid4()
    return [
        Event(patient_id=patient, kind=EventKind.DOSE_TAKEN, at=datetime.now(UTC))
        for _ in range(count)
    ]


async def _take(stream: AsyncIterator[Event | None], count: int, within: float = 20) -> list[str]:
    got: list[str] = []
    async with asyncio.timeout(within):
        while len(got) < count:
            event = await anext(stream)
            if event is not None:
                got.append(event.id)
    return got


async def _stream_ids(client: Redis, keys: RedisKeys, after: str = "-") -> list[str]:
    start = after if after == "-" else f"({after}"
    return [entry_id for entry_id, _ in await client.xrange(stream_key(keys), min=start)]


async def test_replay_then_live_events_are_the_stream_in_order(
    redis: tuple[Redis, RedisKeys, str],
) -> None:
    client, keys, _ = redis
    hub = EventHub(client, keys)
    await publish(client, keys, _events(5))
    first = (await _stream_ids(client, keys))[0]
    stream = hub.follow(first, TICK)
    replayed = await _take(stream, 4)
    await publish(client, keys, _events(3))
    live = await _take(stream, 3)
    assert replayed + live == await _stream_ids(client, keys, first)
    await stream.aclose()  # type: ignore[attr-defined]
    await hub.close()


async def test_a_subscriber_without_after_gets_what_comes_after_it_joined(
    redis: tuple[Redis, RedisKeys, str],
) -> None:
    client, keys, _ = redis
    await publish(client, keys, _events(2))
    joined = (await _stream_ids(client, keys))[-1]
    hub = EventHub(client, keys)
    stream = hub.follow(None, TICK)
    assert await anext(stream) is None  # an idle tick: nothing old is replayed
    await publish(client, keys, _events(2))
    assert await _take(stream, 2) == await _stream_ids(client, keys, joined)
    await stream.aclose()  # type: ignore[attr-defined]
    await hub.close()


async def test_an_overflowing_subscriber_catches_up_from_redis(
    redis: tuple[Redis, RedisKeys, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, keys, _ = redis
    monkeypatch.setattr(hub_module, "QUEUE_CAPACITY", 3)
    hub = EventHub(client, keys)
    slow = hub.follow(None, TICK)
    fast = hub.follow(None, TICK)
    assert await anext(slow) is None and await anext(fast) is None
    joined = (await _stream_ids(client, keys) or ["0-0"])[-1]
    await publish(client, keys, _events(20))
    fast_ids = await _take(fast, 20)
    await asyncio.sleep(0.3)  # the reader has long overfilled the slow queue
    expected = await _stream_ids(client, keys, joined)
    assert fast_ids == expected
    assert await _take(slow, 20) == expected
    for stream in (slow, fast):
        await stream.aclose()  # type: ignore[attr-defined]
    await hub.close()


async def test_a_broken_catch_up_would_be_caught(
    redis: tuple[Redis, RedisKeys, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planted defect: an overflow that drops the queue without catching
    up loses events, and the comparison with the stream sees it."""
    client, keys, _ = redis
    monkeypatch.setattr(hub_module, "QUEUE_CAPACITY", 3)

    async def no_replay(self: EventHub, after: str) -> AsyncIterator[Event]:
        return
        yield  # an async generator that gives nothing

    monkeypatch.setattr(EventHub, "_replay", no_replay)
    hub = EventHub(client, keys)
    slow = hub.follow(None, TICK)
    assert await anext(slow) is None
    await publish(client, keys, _events(20))
    await asyncio.sleep(0.5)
    with pytest.raises(TimeoutError):
        await _take(slow, 20, within=1)
    await slow.aclose()  # type: ignore[attr-defined]
    await hub.close()


async def test_redis_connections_stay_constant_as_subscribers_grow(
    redis: tuple[Redis, RedisKeys, str],
) -> None:
    client, keys, name = redis
    hub = EventHub(client, keys)

    async def connections() -> int:
        return sum(1 for c in await client.client_list() if c.get("name") == name)

    async def open_subscribers(count: int) -> list[AsyncIterator[Event | None]]:
        streams = [hub.follow(None, TICK) for _ in range(count)]
        await asyncio.gather(*(anext(s) for s in streams))  # each started and ticked
        return streams

    few = await open_subscribers(10)
    with_few = await connections()
    many = await open_subscribers(1000)
    assert hub.subscribers == 1010
    with_many = await connections()
    await publish(client, keys, _events(1))
    for stream in few + many:
        assert (await _take(stream, 1))[0]
    # The reader, at most CONCURRENT_REPLAYS replays and this test's CLIENT LIST:
    # a bound that does not move with the subscriber count.
    bound = 1 + hub_module.CONCURRENT_REPLAYS + 1
    assert with_few <= bound and with_many <= bound
    for stream in few + many:
        await stream.aclose()  # type: ignore[attr-defined]
    await hub.close()
