"""Reminder throughput against the provider's ceiling, lateness, and
subscription fan-out latency.

    python bench/reminders.py [--burst 1000] [--doses 10000] [--concurrency 32]
                              [--subscribers 1000]

1. The ceiling: the suite's Twilio stand-in (tests/providers.py, answering
   as Twilio's Messages API does) runs as a process of its own; two client
   processes with a plain async client (aiohttp, 64 requests in flight each)
   post messages to it for a few seconds. Their acceptance rate is the most
   this machine can send, whatever the sender.
2. Two `prescripcare worker` processes on one database and Redis, sending
   SMS (twilio-python's request, notifications/twilio.py) to that
   stand-in: first `--burst` doses due at the same instant, then `--doses`
   due at another. The workers queue,
   claim, render and send them themselves (REMINDER_LEAD_SECONDS ahead,
   REMINDER_CONCURRENCY in flight each, through the Redis token bucket set
   above the ceiling so it is exercised but does not bind). Prints sends/s
   (from the due instant to the last acceptance) against the ceiling,
   lateness (due instant to the provider's acceptance, as recorded) p50/p99
   against the targets, lost (a dose with no reminder sent) and duplicates
   (messages the provider accepted beyond the reminders sent). The ceiling
   is measured again after the workers stop; ratios use the higher one.
3. 1,000 subscribers follow the reminder event stream; one event is
   published; prints the delivery latency to all of them, p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from _db import bench_database
from redis.asyncio import Redis
from sqlalchemy import text
from standin_twilio import SID, TOKEN
from tests.processes import CLI, cli_env, free_port
from tests.reminders.due import sms_doses_due

from prescripcare.db import create_engine, create_session_factory, transaction
from prescripcare.drugs.seed import load_seed
from prescripcare.realtime.events import Event, EventKind, publish
from prescripcare.realtime.hub import EventHub
from prescripcare.redis import RedisKeys
from prescripcare.settings import Settings

HERE = Path(__file__).resolve().parent
CEILING_SECONDS = 5.0
CEILING_IN_FLIGHT = 64


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _post_for(url: str, seconds: float, start_at: float = 0.0) -> int:
    """One client process: as many messages as the stand-in accepts in
    `seconds` from the wall-clock instant `start_at` (every process starts
    together, once its imports are done)."""

    async def run() -> int:
        auth = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        form = {"To": "+442079460123", "From": "+15005550006", "Body": "x" * 120}
        accepted = 0
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.perf_counter() + seconds
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CEILING_IN_FLIGHT)
        ) as session:

            async def one_sender() -> None:
                nonlocal accepted
                while time.perf_counter() < deadline:
                    async with session.post(
                        f"{url}/2010-04-01/Accounts/{SID}/Messages.json",
                        data=form,
                        headers={"Authorization": f"Basic {auth}"},
                    ) as response:
                        await response.read()
                        accepted += response.status == 201

            await asyncio.gather(*(one_sender() for _ in range(CEILING_IN_FLIGHT)))
        return accepted

    return asyncio.run(run())


def ceiling(url: str, processes: int = 2) -> float:
    _post_for(url, 0.5)  # warm the server
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        # Process start-up and imports take seconds on a busy machine: they
        # are not part of the measured window.
        start_at = time.time() + 5
        counts = pool.starmap(_post_for, [(url, CEILING_SECONDS, start_at)] * processes)
    return sum(counts) / CEILING_SECONDS


async def _provider_count(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_bench/count") as r:
        return int((await r.json())["messages"])


async def _prepare(settings: Settings, phases: list[tuple[datetime, int]] | None) -> None:
    """The drug catalog (`phases` None), or the doses of each phase."""
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        if phases is None:
            await load_seed(session, datetime.now(UTC))
        for due, count in phases or []:
            # `count` doses within one millisecond of `due` (1 µs apart).
            await sms_doses_due(
                session, due + timedelta(microseconds=1), count, timedelta(microseconds=1)
            )
    await engine.dispose()


async def _phase(
    settings: Settings, due: datetime, count: int, wait_at_most: float
) -> tuple[list[float], datetime | None, int]:
    """Waits for the phase's reminders; (lateness of each sent, the last
    acceptance, doses without a sent reminder)."""
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    window = {"from": due - timedelta(seconds=1), "to": due + timedelta(seconds=1)}
    deadline = time.monotonic() + wait_at_most
    try:
        while True:
            async with sessions() as session:
                sent = await session.scalar(
                    text(
                        "SELECT count(*) FROM reminders WHERE status = 'SENT' "
                        "AND due_at BETWEEN :from AND :to"
                    ),
                    window,
                )
            if sent == count or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        async with sessions() as session:
            rows = list(
                await session.execute(
                    text(
                        "SELECT extract(epoch FROM sent_at - due_at), sent_at FROM reminders "
                        "WHERE status = 'SENT' AND due_at BETWEEN :from AND :to"
                    ),
                    window,
                )
            )
            lost = await session.scalar(
                text(
                    "SELECT count(*) FROM doses d WHERE d.scheduled_at BETWEEN :from AND :to "
                    "AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.dose_id = d.id "
                    "AND r.status = 'SENT')"
                ),
                window,
            )
    finally:
        await engine.dispose()
    late = [float(row[0]) for row in rows]
    last = max((row[1] for row in rows), default=None)
    return late, last, int(lost or 0)


def _report(name: str, due: datetime, count: int, result: tuple, ceiling_rate: float) -> float:
    late, last, lost = result
    if not late or last is None:
        print(f"{name}: nothing sent (lost {lost})")
        return 0.0
    span = max(0.001, (last - due).total_seconds())
    rate = len(late) / span
    print(
        f"{name}: {len(late)} of {count} sent by 2 workers; last accepted {span:.2f} s after "
        f"the due instant = {rate:.0f} sends/s = {rate / ceiling_rate:.2f}x the ceiling "
        f"(target >= 0.80x); lateness p50 {percentile(late, 0.5):.2f} s, "
        f"p99 {percentile(late, 0.99):.2f} s; lost {lost}"
    )
    return rate


def _sends(settings: Settings, burst: int, doses: int, concurrency: int, lead: int) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    standin = subprocess.Popen([sys.executable, str(HERE / "standin_twilio.py"), str(port)])
    workers: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                asyncio.run(_provider_count(url))
                break
            except aiohttp.ClientError:
                assert time.monotonic() < deadline, "the stand-in did not start"
                time.sleep(0.2)
        top = ceiling(url)
        print(
            f"ceiling: the Twilio stand-in accepts {top:.0f} messages/s from a plain async "
            f"client (2 processes x {CEILING_IN_FLIGHT} in flight, {CEILING_SECONDS:.0f} s)"
        )
        before = asyncio.run(_provider_count(url))
        asyncio.run(_prepare(settings, None))
        start = datetime.now(UTC)
        # A first, small phase warms the new workers (connections, prepared
        # statements); a long-running worker is warm at 08:00.
        warm = start + timedelta(seconds=lead + 15)
        first = warm + timedelta(seconds=20)
        second = first + timedelta(seconds=40)
        asyncio.run(_prepare(settings, [(warm, 200), (first, burst), (second, doses)]))
        env = cli_env(
            settings.model_copy(update={"redis_prefix": f"bench-{uuid.uuid4().hex[:8]}"}),
            TWILIO_ACCOUNT_SID=SID,
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_URL=url,
            # Above the ceiling: the bucket is taken for every send, never binding.
            TWILIO_MAX_PER_SECOND=str(int(top * 4)),
            REMINDER_CONCURRENCY=str(concurrency),
            REMINDER_LEAD_SECONDS=str(lead),
            REMINDER_SCAN_SECONDS="10",
        )
        for _ in range(2):
            workers.append(
                subprocess.Popen(
                    [*CLI, "worker"],
                    env=env,
                    cwd=HERE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        warming = asyncio.run(_phase(settings, warm, 200, wait_at_most=120))
        one = asyncio.run(_phase(settings, first, burst, wait_at_most=120))
        many = asyncio.run(_phase(settings, second, doses, wait_at_most=300))
        accepted = asyncio.run(_provider_count(url)) - before
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=30)
        # Again once the workers are gone: the machine is shared, so the
        # ratios are taken against the higher of the two ceilings.
        after = ceiling(url)
        print(f"ceiling again after the runs: {after:.0f} messages/s")
        top = max(top, after)
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        standin.terminate()
        standin.wait(timeout=10)
    _report("warm-up: 200 due at once", warm, 200, warming, top)
    _report(f"{burst} due at once", first, burst, one, top)
    rate = _report(f"{doses} due at once", second, doses, many, top)
    if rate:
        print(f"  target p99 for {doses}: <= {doses} / {rate:.0f} + 2 = {doses / rate + 2:.1f} s")
    sent = len(warming[0]) + len(one[0]) + len(many[0])
    print(
        f"provider accepted {accepted} messages for {sent} reminders sent: "
        f"duplicates {accepted - sent}"
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
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--doses", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--lead", type=int, default=15)
    parser.add_argument("--subscribers", type=int, default=1000)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, shared with other users (noisy)")
    with bench_database() as settings:
        _sends(settings, args.burst, args.doses, args.concurrency, args.lead)
        if args.subscribers:
            asyncio.run(_fan_out(settings.redis_url or "", args.subscribers))


if __name__ == "__main__":
    main()
