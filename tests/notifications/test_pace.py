"""The providers' send rate, a token bucket in Redis shared by every worker:
the Lua script against its Python twin on generated inputs, and two worker
processes on one bucket against real Redis."""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from pathlib import Path

import pytest

from prescripcare.notifications.pace import Bucket, SendPace, model_book
from prescripcare.redis import RedisKeys
from prescripcare.resources import Resources

ROOT = Path(__file__).resolve().parents[2]


def _planted(tat: int | None, now: int, bucket: Bucket, turns: int) -> tuple[list[int], int]:
    """The twin with a defect: a burst one turn larger."""
    waits = []
    for _ in range(turns):
        start = now if tat is None or tat < now else tat
        waits.append(max(0, start - bucket.burst * bucket.interval_us - now))
        tat = start + bucket.interval_us
    assert tat is not None
    return waits, tat


async def _script_and_model_agree(
    resources: Resources, model: object, seed: int
) -> tuple[int, int]:
    """(decisions compared, disagreements) over generated request times."""
    rng = random.Random(seed)
    compared = wrong = 0
    for _ in range(20):
        rate = rng.choice([0.5, 1, 3, 10, 37, 100, 1000, 2500])
        bucket = Bucket(rate)
        prefix = f"pace-{uuid.uuid4().hex[:8]}"
        pace = SendPace(resources.redis, RedisKeys(prefix), {"SMS": rate})
        now, tat = rng.randrange(10**15, 2 * 10**15), None
        for _ in range(60):
            # Bursts of requests at one instant, then gaps around the interval.
            now += rng.choice([0, 0, 0, 1, bucket.interval_us // 2, bucket.interval_us * 3])
            turns = rng.choice([1, 1, 2, 5, 16])
            waits = [round(w * 1_000_000) for w in await pace.book("SMS", turns, now)]
            expected, tat = model(tat, now, bucket, turns)  # type: ignore[operator]
            compared += 1
            wrong += waits != expected
        await resources.redis.delete(f"{prefix}:send-pace:SMS")
    return compared, wrong


async def test_the_script_books_turns_as_its_python_twin(resources: Resources) -> None:
    compared, wrong = await _script_and_model_agree(resources, model_book, seed=14)
    assert compared == 1200 and wrong == 0


async def test_a_planted_defect_in_the_twin_is_caught(resources: Resources) -> None:
    _, wrong = await _script_and_model_agree(resources, _planted, seed=14)
    assert wrong > 0


async def test_an_unlimited_channel_never_waits(resources: Resources) -> None:
    pace = SendPace(resources.redis, resources.keys, {"SMS": 0})
    assert [await pace.book("SMS") for _ in range(5)] == [[0.0]] * 5
    assert await pace.book("PUSH", 3) == [0.0] * 3
    await pace.wait_turn("SMS")


async def test_two_worker_processes_share_one_rate(resources: Resources) -> None:
    """Two processes, each taking 150 turns as fast as it may, at 200 a
    second with a burst of 20: together never faster than the bucket, and
    not much slower either (both got turns throughout)."""
    rate, each = 200.0, 150
    bucket = Bucket(rate)
    prefix = f"pace-{uuid.uuid4().hex[:8]}"
    url = resources.settings.require_redis_url()
    start = time.time() + 3  # both processes running and imported by then
    runs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.notifications.pacer",
            url,
            prefix,
            str(rate),
            str(each),
            str(start),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await asyncio.wait_for(run.communicate(), 60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    per_worker = [[float(line) for line in out.split()] for out, _ in outputs]
    assert [len(turns) for turns in per_worker] == [each, each]
    turns = sorted(t for worker in per_worker for t in worker)
    # Turn k (from 0) comes no sooner than (k - 2 x burst + 1) intervals
    # after the first: the bucket's burst, plus a burst's length of turns a
    # worker booked and used late (pace.py); 2 ms of slack for the two
    # processes' clocks and wake-ups.
    interval = 1 / rate
    allowed = 2 * bucket.burst
    first, slack = turns[0], 0.002
    early = [k for k, at in enumerate(turns) if at - first + slack < (k - allowed + 1) * interval]
    assert early == []
    elapsed = turns[-1] - turns[0]
    minimum = (2 * each - bucket.burst) * interval
    assert minimum - 0.01 <= elapsed < minimum * 2  # a busy machine delays wake-ups
    # Both workers were served while the other waited, not one after the other.
    assert min(per_worker[0][-1], per_worker[1][-1]) > turns[0] + minimum / 2


@pytest.mark.parametrize("rate", [0.5, 100, 2500])
def test_a_bucket_allows_a_tenth_of_a_second_at_once(rate: float) -> None:
    bucket = Bucket(rate)
    assert bucket.burst == max(1, int(rate / 10))
    assert abs(1_000_000 / bucket.interval_us - rate) / rate < 0.001
