"""Sending many reminders at once, each at its due second: the concurrent
path ends exactly as one send at a time does (generated outcomes, and a
planted defect that must show), a reminder claimed early goes at its due
second, and a dose taken while its reminder waits cancels it."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from prescripcare.db import transaction
from prescripcare.notifications.message import Message, PermanentSendError, TransientSendError
from prescripcare.reminders.dispatch import Outcome, Recorder
from prescripcare.reminders.service import RetryPolicy, queue_due, send_ready
from prescripcare.resources import Resources
from tests.reminders.due import sms_doses_due

GRACE = timedelta(hours=1)
_DELETE = text("DELETE FROM reminders WHERE dose_id = ANY(:ids)")
Snapshot = dict[uuid.UUID, tuple[str, int, str | None, str | None]]


class Scripted:
    """Answers each dose's reminder as planned: accepted (after up to 5 ms),
    a transient or a permanent error."""

    name = "SMS"

    def __init__(self, plan: dict[uuid.UUID, str], dose_of: dict[uuid.UUID, uuid.UUID]) -> None:
        self.plan = plan
        self.dose_of = dose_of
        self.at: dict[uuid.UUID, datetime] = {}

    async def send(self, message: Message) -> str:
        dose = self.dose_of[message.reminder_id]
        answer = self.plan[dose]
        await asyncio.sleep(random.uniform(0, 0.005))
        if answer == "transient":
            raise TransientSendError("busy")
        if answer == "permanent":
            raise PermanentSendError("invalid number")
        self.at[dose] = datetime.now(UTC)
        return f"SM-{dose}"


async def _queue(
    resources: Resources, now: datetime, taken: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    async with transaction(resources.sessions) as session:
        await queue_due(session, now, GRACE, ["SMS"])
        if taken:
            await session.execute(
                text("UPDATE doses SET status = 'TAKEN' WHERE id = ANY(:ids)"), {"ids": taken}
            )
        rows = await session.execute(text("SELECT id, dose_id FROM reminders"))
        return {row.id: row.dose_id for row in rows}


async def _snapshot(resources: Resources) -> Snapshot:
    async with resources.sessions() as session:
        rows = await session.execute(
            text("SELECT dose_id, status, attempts, last_error, provider_message_id FROM reminders")
        )
        return {
            r.dose_id: (r.status, r.attempts, r.last_error, r.provider_message_id) for r in rows
        }


async def _reset(resources: Resources, doses: list[uuid.UUID]) -> None:
    async with transaction(resources.sessions) as session:
        await session.execute(
            text("DELETE FROM reminders WHERE dose_id = ANY(:ids)"), {"ids": doses}
        )
        await session.execute(
            text("UPDATE doses SET status = 'SCHEDULED' WHERE id = ANY(:ids)"), {"ids": doses}
        )


async def _run(
    resources: Resources,
    now: datetime,
    doses: list[uuid.UUID],
    plan: dict[uuid.UUID, str],
    concurrency: int,
) -> Snapshot:
    taken = [dose for dose in doses if plan[dose] == "taken"]
    dose_of = await _queue(resources, now, taken)
    channel = Scripted(plan, dose_of)
    report = await send_ready(
        resources.sessions,
        {"SMS": channel},
        now,
        RetryPolicy(max_attempts=3),
        "https://app.test/d",
        batch=500,
        concurrency=concurrency,
    )
    found = await _snapshot(resources)
    # What the report counts is what was written.
    assert report.sent + report.retried + report.failed + report.cancelled == sum(
        status != "SENDING" for status, *_ in found.values()
    )
    await _reset(resources, doses)
    return found


@pytest.fixture
async def generated(
    resources: Resources, catalog: object
) -> AsyncIterator[tuple[list[uuid.UUID], list[dict[uuid.UUID, str]]]]:
    now = resources.clock.now()
    async with transaction(resources.sessions) as session:
        doses = await sms_doses_due(session, now, 40, timedelta(seconds=30))
    plans = []
    for seed in range(3):
        rng = random.Random(seed)
        answers = ["sent", "sent", "sent", "transient", "permanent", "taken"]
        plans.append({dose: rng.choice(answers) for dose in doses})
    yield doses, plans
    async with transaction(resources.sessions) as session:
        await session.execute(
            text("DELETE FROM reminders WHERE dose_id = ANY(:ids)"), {"ids": doses}
        )


async def test_concurrent_sends_end_as_one_at_a_time_does(
    resources: Resources, generated: tuple[list[uuid.UUID], list[dict[uuid.UUID, str]]]
) -> None:
    doses, plans = generated
    now = resources.clock.now()
    for plan in plans:
        one_at_a_time = await _run(resources, now, doses, plan, concurrency=1)
        concurrent = await _run(resources, now, doses, plan, concurrency=16)
        assert concurrent == one_at_a_time
        assert len(concurrent) == len(doses)
        assert "SENDING" not in {status for status, *_ in concurrent.values()}
        assert {status for status, *_ in concurrent.values()} == {
            "SENT",
            "QUEUED",
            "FAILED",
            "CANCELLED",
        }


async def test_a_planted_defect_in_the_concurrent_path_shows(
    resources: Resources,
    generated: tuple[list[uuid.UUID], list[dict[uuid.UUID, str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doses, plans = generated
    now = resources.clock.now()
    one_at_a_time = await _run(resources, now, doses, plans[0], concurrency=1)
    finish: Callable[[Recorder, Outcome], None] = Recorder.finish
    seen = 0

    def loses_the_seventh(self: Recorder, outcome: Outcome) -> None:
        nonlocal seen
        seen += 1
        if seen != 7:
            finish(self, outcome)

    monkeypatch.setattr(Recorder, "finish", loses_the_seventh)
    concurrent = await _run(resources, now, doses, plans[0], concurrency=16)
    assert concurrent != one_at_a_time
    assert sum(status == "SENDING" for status, *_ in concurrent.values()) == 1


async def test_claimed_early_sent_at_the_due_second_unless_taken_meanwhile(
    resources: Resources, catalog: object
) -> None:
    """Real time: two doses due 1.5 s from now, queued and claimed 5 s
    ahead; one is taken while its reminder waits."""
    start = datetime.now(UTC)
    due = start + timedelta(seconds=1.5)
    async with transaction(resources.sessions) as session:
        doses = await sms_doses_due(
            session, due + timedelta(milliseconds=2), 2, timedelta(milliseconds=1)
        )
        assert await queue_due(session, start, GRACE, ["SMS"]) == 0  # not due yet
        assert await queue_due(session, start, GRACE, ["SMS"], timedelta(seconds=5)) == 2
        rows = await session.execute(text("SELECT id, dose_id FROM reminders"))
        dose_of = {row.id: row.dose_id for row in rows}
    channel = Scripted(dict.fromkeys(doses, "sent"), dose_of)

    async def take_the_second_dose() -> None:
        await asyncio.sleep(0.5)
        async with transaction(resources.sessions) as session:
            await session.execute(
                text("UPDATE doses SET status = 'TAKEN' WHERE id = :id"), {"id": doses[1]}
            )

    taking = asyncio.create_task(take_the_second_dose())
    report = await send_ready(
        resources.sessions,
        {"SMS": channel},
        start,
        RetryPolicy(),
        "https://app.test/d",
        lead=timedelta(seconds=5),
        clock=lambda: datetime.now(UTC),
        concurrency=4,
    )
    await taking
    assert (report.sent, report.cancelled) == (1, 1)
    sent = channel.at[doses[0]]
    assert due - timedelta(milliseconds=50) <= sent <= due + timedelta(seconds=0.5)
    found = await _snapshot(resources)
    assert found[doses[1]][0] == "CANCELLED"
    async with transaction(resources.sessions) as session:
        recorded = await session.scalar(
            text("SELECT sent_at FROM reminders WHERE dose_id = :id"), {"id": doses[0]}
        )
        await session.execute(
            text("DELETE FROM reminders WHERE dose_id = ANY(:ids)"), {"ids": doses}
        )
    assert abs((recorded - sent).total_seconds()) < 0.1
