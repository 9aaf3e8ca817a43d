"""Reminder throughput and lateness, and subscription fan-out latency.

    python bench/reminders.py [--doses 10000] [--workers 4] [--subscribers 1000]

1. 10,000 doses fall due at once; `--workers` concurrent senders (as separate
   workers would) queue and send them through twilio-python to a local server
   answering as Twilio does. Prints sends per second and lateness (due time to
   the provider's acceptance being recorded), p50/p99.
2. 1,000 subscribers follow the reminder event stream; one event is
   published; prints the delivery latency to all of them, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _db import bench_database
from redis.asyncio import Redis
from sqlalchemy import text
from tests.reminders.due import sms_doses_due
from tests.reminders.provider_standins import TwilioStandIn

from prescripcare.db import create_engine, create_session_factory, transaction
from prescripcare.drugs.seed import load_seed
from prescripcare.notifications.twilio import TwilioSmsChannel
from prescripcare.realtime.events import Event, EventKind, publish
from prescripcare.realtime.hub import EventHub
from prescripcare.redis import RedisKeys
from prescripcare.reminders.service import RetryPolicy, queue_due, send_ready

SID, TOKEN = "AC" + "2" * 32, "bench-token"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _sends(settings: object, doses: int, workers: int) -> None:
    twilio = TwilioStandIn(SID, TOKEN)
    twilio.server.start()
    engine = create_engine(settings)  # type: ignore[arg-type]
    sessions = create_session_factory(engine)
    now = datetime.now(UTC)
    async with transaction(sessions) as session:
        await load_seed(session, now)
        await sms_doses_due(session, now, doses, timedelta(milliseconds=1), timezone="UTC")
    channel = TwilioSmsChannel(SID, TOKEN, "+15005550006", twilio.server.url)
    started = time.perf_counter()
    async with transaction(sessions) as session:
        await queue_due(session, datetime.now(UTC), timedelta(hours=1), ["SMS"])

    async def worker() -> None:
        while True:
            report = await send_ready(
                sessions,
                {"SMS": channel},
                datetime.now(UTC),
                RetryPolicy(),
                "https://app.example/d",
                batch=50,
            )
            if not report.sent + report.retried + report.failed + report.cancelled:
                return

    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    async with sessions() as session:
        late = [
            row[0]
            for row in await session.execute(
                text(
                    "SELECT extract(epoch FROM r.sent_at - d.scheduled_at) FROM reminders r "
                    "JOIN doses d ON d.id = r.dose_id WHERE r.status = 'SENT'"
                )
            )
        ]
    await engine.dispose()
    twilio.server.stop()
    print(
        f"reminders: {len(late)} of {doses} sent by {workers} concurrent senders in "
        f"{elapsed:.1f} s = {len(late) / elapsed:.0f} sends/s; provider saw "
        f"{len(twilio.messages)} messages"
    )
    print(
        f"lateness from due time: p50 {percentile(late, 0.5):.2f} s, "
        f"p99 {percentile(late, 0.99):.2f} s"
    )


async def _fan_out(redis_url: str, subscribers: int) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True, max_connections=subscribers + 10)
    keys = RedisKeys(f"bench-{uuid.uuid4().hex[:8]}")
    received: list[float] = []
    ready = asyncio.Event()
    waiting = subscribers

    hub = EventHub(redis, keys)

    async def subscriber() -> None:
        nonlocal waiting
        stream = hub.follow(None, timedelta(seconds=1))
        first = asyncio.ensure_future(stream.__anext__())
        waiting -= 1
        if waiting == 0:
            ready.set()
        while True:
            event = await first
            if event is not None:
                received.append(time.perf_counter())
                return
            first = asyncio.ensure_future(stream.__anext__())

    tasks = [asyncio.create_task(subscriber()) for _ in range(subscribers)]
    await ready.wait()
    await asyncio.sleep(1.5)  # every subscriber waits on the one reader
    sent = time.perf_counter()
    await publish(
        redis,
        keys,
        [Event(patient_id=uuid.uuid4(), kind=EventKind.DOSE_TAKEN, at=datetime.now(UTC))],
    )
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    latencies = [(r - sent) * 1000 for r in received]
    print(
        f"fan-out to {len(latencies)} subscribers: p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms"
    )
    await redis.delete(f"{keys.prefix}:reminder-events")
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--doses", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--subscribers", type=int, default=1000)
    args = parser.parse_args()
    with bench_database() as settings:
        asyncio.run(_sends(settings, args.doses, args.workers))
        asyncio.run(_fan_out(settings.redis_url or "", args.subscribers))


if __name__ == "__main__":
    main()
