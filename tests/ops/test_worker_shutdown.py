"""A worker told to stop (SIGTERM) finishes the sends it has claimed, or,
when cancelled mid-batch, hands the untried ones back to the queue at once."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.db import transaction
from prescripcare.notifications.message import Message
from prescripcare.reminders.models import Reminder
from prescripcare.reminders.service import RetryPolicy, queue_due, send_ready
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.ops.scrape import scrape
from tests.processes import cli_env, free_port, kill, start, wait_until
from tests.providers import TwilioStandIn
from tests.reminders.due import count_reminders as _count
from tests.reminders.due import sms_doses_due

COUNT = 200


async def test_sigterm_lets_the_worker_finish_its_claimed_sends(
    resources: Resources, migrated: Settings, catalog: object, twilio: TwilioStandIn
) -> None:
    twilio.delay = 0.01
    now = datetime.now(UTC)
    async with transaction(resources.sessions) as session:
        await sms_doses_due(session, now, COUNT, timedelta(seconds=3))
        assert await queue_due(session, now, timedelta(hours=1), ["SMS"]) == COUNT
    env = cli_env(migrated, **twilio.env(), METRICS_PORT=str(metrics_port := free_port()))
    worker = start(["worker"], env, Path(__file__).parent)
    try:

        async def ten_sent() -> bool:
            return await _count(resources, "SENT") >= 10

        await wait_until(ten_sent, worker, "the worker sent nothing", interval=0.02)
        # The worker's own metrics listener shows its sends as they happen.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{metrics_port}") as http:
            samples = await scrape(http)
        sent = samples.get(
            'prescripcare_notifications_total{channel="SMS",status="sent",'
            'type="medication_reminder"}',
            0,
        )
        assert sent >= 10
        worker.send_signal(signal.SIGTERM)
        sent_at_signal = await _count(resources, "SENT")
        await asyncio.to_thread(worker.wait, 40)
    finally:
        kill(worker)
    assert sent_at_signal < COUNT, "the signal came too late to test anything"
    assert await _count(resources, "SENT") == COUNT
    assert await _count(resources, "SENDING") == 0
    assert len(twilio.messages) == COUNT  # none twice


class BlockingChannel:
    name = "SMS"

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def send(self, message: Message) -> str:
        self.entered.set()
        await asyncio.Event().wait()  # a provider that never answers
        return "never"


async def test_a_cancelled_batch_puts_its_untried_claims_back(
    resources: Resources, catalog: object
) -> None:
    now = resources.clock.now()
    async with transaction(resources.sessions) as session:
        await sms_doses_due(session, now, 3, timedelta(minutes=1))
        await queue_due(session, now, timedelta(hours=1), ["SMS"])
    channel = BlockingChannel()
    batch = asyncio.create_task(
        send_ready(resources.sessions, {"SMS": channel}, now, RetryPolicy(), "https://x")
    )
    await asyncio.wait_for(channel.entered.wait(), 10)
    batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batch
    async with resources.sessions() as s:
        rows = (await s.execute(select(col(Reminder.status), col(Reminder.attempts)))).all()
    # The send in progress keeps its claim (the provider may have it); the
    # two never tried are queued again with no attempt counted.
    assert sorted((r.status, r.attempts) for r in rows) == [
        ("QUEUED", 0),
        ("QUEUED", 0),
        ("SENDING", 1),
    ]


async def test_a_worker_run_in_process_closes_quietly(migrated: Settings) -> None:
    """`prescripcare dev` runs the worker beside the API and, on Ctrl-C,
    cancels its run and closes it: arq's close() cancels and gathers every
    task it holds, the reminder sender among them, which must end as a job
    does (no CancelledError, no traceback on the developer's screen)."""
    from prescripcare.worker import build_worker

    worker = build_worker(migrated, handle_signals=False)
    running = asyncio.create_task(worker.async_run())

    async def sender_started() -> bool:
        return any(key.endswith("reminder-sender") for key in worker.tasks)

    for _ in range(200):
        if await sender_started():
            break
        await asyncio.sleep(0.05)
    assert await sender_started()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await worker.close()  # raised CancelledError before the sender ended as a job
