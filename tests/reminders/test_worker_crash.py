"""A worker killed (SIGKILL) in the middle of 1,000 due reminders loses none:
another worker finishes them, and a reminder is sent twice only if it was in
flight at the kill."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prescripcare.db import transaction
from prescripcare.reminders.service import queue_due
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from prescripcare.worker import build_worker
from tests.processes import cli_env, kill, start, wait_until
from tests.providers import TwilioStandIn
from tests.reminders.due import count_reminders as _count
from tests.reminders.due import sms_doses_due

COUNT = 1000


async def _due_doses(res: Resources, count: int) -> None:
    """One patient, `count` doses fallen due within the last hour (real time:
    the worker process runs on the real clock)."""
    now = datetime.now(UTC)
    async with transaction(res.sessions) as session:
        await sms_doses_due(session, now, count, timedelta(seconds=3))
        assert await queue_due(session, now, timedelta(hours=1), ["SMS"]) == count


async def test_a_killed_worker_loses_no_reminder(
    resources: Resources,
    migrated: Settings,
    catalog: object,
    twilio: TwilioStandIn,
) -> None:
    twilio.delay = 0.004  # seconds per message, so the kill lands mid-batch
    await _due_doses(resources, COUNT)
    settings = twilio.configure(migrated).model_copy(update={"reminder_lease_seconds": 2})
    env = cli_env(settings, **twilio.env(), REMINDER_LEASE_SECONDS="2")
    worker = start(["worker"], env, Path(__file__).parent)
    try:

        async def a_quarter_sent() -> bool:
            return await _count(resources, "SENT") >= COUNT // 4

        await wait_until(a_quarter_sent, worker, "the worker sent nothing")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        kill(worker)
    sent_before = await _count(resources, "SENT")
    in_flight = await _count(resources, "SENDING")
    assert sent_before < COUNT, "the kill came too late to test anything"

    await asyncio.sleep(2.1)  # the dead worker's claims expire
    # Another worker process in spirit: the outbox is in PostgreSQL, so it
    # needs nothing of the dead one's arq state (whose job stays "in progress"
    # in Redis until its timeout).
    survivor_settings = settings.model_copy(
        update={"redis_prefix": f"{settings.redis_prefix}-survivor"}
    )
    survivor = build_worker(survivor_settings, burst=True, handle_signals=False)
    try:
        await survivor.async_run()
    finally:
        await survivor.close()
        leftovers = [
            k async for k in resources.redis.scan_iter(match=f"{survivor_settings.redis_prefix}:*")
        ]
        if leftovers:
            await resources.redis.delete(*leftovers)
    assert await _count(resources, "SENT") == COUNT  # none lost
    repeats = len(twilio.messages) - COUNT
    print(f"\nkilled after {sent_before} sends with {in_flight} in flight; repeated {repeats}")
    assert 0 <= repeats <= in_flight
