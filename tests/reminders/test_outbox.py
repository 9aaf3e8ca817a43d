"""Reminders through the outbox: one send per due dose and channel, never
twice, none for a taken dose, again after a snooze, retries with backoff."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.notifications.console import ConsoleChannel
from prescripcare.notifications.message import Channel, PermanentSendError
from prescripcare.patients.models import Patient
from prescripcare.realtime.events import stream_key
from prescripcare.reminders.models import Reminder
from prescripcare.reminders.service import RetryPolicy, send_ready
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account
from tests.prescriptions.documents import RECORD_DOSE, SNOOZE
from tests.reminders.outbox import DUE, GRACE, POLICY, Flaky, queue, send


async def outbox(resources: Resources) -> list[Reminder]:
    async with resources.sessions() as s:
        return list(
            await s.scalars(select(Reminder).order_by(col(Reminder.channel), col(Reminder.due_at)))
        )


async def test_a_due_dose_is_queued_once_per_channel(resources: Resources, dose: str) -> None:
    assert await queue(resources, DUE - timedelta(minutes=1)) == 0  # not due yet
    assert await queue(resources, DUE) == 2
    assert await queue(resources, DUE + timedelta(minutes=1)) == 0  # already queued
    results = await asyncio.gather(
        *(queue(resources, DUE + timedelta(minutes=2)) for _ in range(3))
    )
    assert sum(results) == 0
    assert [(r.channel, r.status, r.due_at) for r in await outbox(resources)] == [
        ("EMAIL", "QUEUED", DUE),
        ("SMS", "QUEUED", DUE),
    ]
    assert await queue(resources, DUE + GRACE + timedelta(minutes=1)) == 0


async def test_sending_records_the_provider_id_and_the_text_has_no_drug_name(
    resources: Resources, dose: str
) -> None:
    await queue(resources, DUE)
    sms = Flaky(0)
    report = await send(resources, {"SMS": sms, "EMAIL": ConsoleChannel("EMAIL")}, DUE)
    assert report.sent == 2
    rows = {r.channel: r for r in await outbox(resources)}
    assert rows["SMS"].status == "SENT" and rows["SMS"].provider_message_id == "SM1"
    assert (rows["EMAIL"].provider_message_id or "").startswith("console-")
    assert sms.sent[0].address == "+442079460123"
    assert "08:00" in sms.sent[0].text and "metformin" not in sms.sent[0].text.lower()
    assert (await send(resources, {"SMS": sms}, DUE)).sent == 0  # nothing sent twice


async def test_a_taken_dose_is_not_reminded(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account, dose: str
) -> None:
    await queue(resources, DUE)
    clock.set(DUE)
    await gql.data(RECORD_DOSE, {"doseId": dose, "status": "TAKEN"}, token=doctor.now_token)
    sms = Flaky(0)
    report = await send(resources, {"SMS": sms, "EMAIL": sms}, DUE)
    assert (report.sent, report.cancelled, sms.sent) == (0, 2, [])
    assert await queue(resources, DUE + timedelta(minutes=5)) == 0


async def test_a_snoozed_dose_is_reminded_again_when_the_snooze_ends(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account, dose: str
) -> None:
    await queue(resources, DUE)
    clock.set(DUE + timedelta(minutes=2))
    await gql.data(SNOOZE, {"doseId": dose, "minutes": 30}, token=doctor.now_token)
    assert await queue(resources, DUE + timedelta(minutes=31)) == 0
    assert await queue(resources, DUE + timedelta(minutes=32)) == 2
    assert sorted({r.due_at for r in await outbox(resources)}) == [DUE, DUE + timedelta(minutes=32)]


async def test_quiet_hours_hold_follow_ups_but_not_the_first_reminder(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account, dose: str
) -> None:
    async with transaction(resources.sessions) as session:
        await session.execute(update(Patient).values(quiet_start=time(7, 0), quiet_end=time(9, 0)))
    assert await queue(resources, DUE) == 2  # the dose itself is at 08:00
    clock.set(DUE + timedelta(minutes=1))
    await gql.data(SNOOZE, {"doseId": dose, "minutes": 10}, token=doctor.now_token)
    assert await queue(resources, DUE + timedelta(minutes=20)) == 0  # 08:20: quiet
    # At 09:00 the snooze's reminder goes; its grace runs from the snooze's end.
    assert await queue(resources, DUE + timedelta(minutes=60)) == 2


async def test_transient_failures_retry_with_backoff_then_succeed(
    resources: Resources, dose: str
) -> None:
    await queue(resources, DUE)
    sms = Flaky(2)
    channels: dict[str, Channel] = {"SMS": sms, "EMAIL": ConsoleChannel("EMAIL")}
    now = DUE
    first = await send(resources, channels, now)
    assert (first.sent, first.retried) == (1, 1)
    retry = next(r for r in await outbox(resources) if r.channel == "SMS")
    assert retry.status == "QUEUED" and retry.attempts == 1
    assert now + timedelta(seconds=15) <= retry.next_attempt_at <= now + timedelta(seconds=30)
    assert (await send(resources, channels, now + timedelta(seconds=10))).retried == 0
    for _ in range(2):
        now += timedelta(minutes=5)
        await send(resources, channels, now)
    final = next(r for r in await outbox(resources) if r.channel == "SMS")
    assert (final.status, final.attempts, len(sms.sent)) == ("SENT", 3, 1)


async def test_permanent_errors_fail_at_once_and_endless_ones_give_up(
    resources: Resources, dose: str
) -> None:
    await queue(resources, DUE)
    channels = {"SMS": Flaky(1, PermanentSendError), "EMAIL": Flaky(99)}
    now = DUE
    for _ in range(5):
        await send(resources, channels, now)
        now += timedelta(hours=2)
    rows = {r.channel: r for r in await outbox(resources)}
    assert (rows["SMS"].status, rows["SMS"].attempts) == ("FAILED", 1)
    assert (rows["EMAIL"].status, rows["EMAIL"].attempts) == ("FAILED", POLICY.max_attempts)


async def test_a_claim_left_by_a_dead_worker_is_taken_again(
    resources: Resources, dose: str
) -> None:
    await queue(resources, DUE)
    async with transaction(resources.sessions) as session:  # a worker claims, then dies
        await session.execute(
            update(Reminder).values(status="SENDING", claimed_until=DUE + timedelta(minutes=2))
        )
    sms = Flaky(0)
    assert (await send(resources, {"SMS": sms, "EMAIL": sms}, DUE + timedelta(minutes=1))).sent == 0
    assert (await send(resources, {"SMS": sms, "EMAIL": sms}, DUE + timedelta(minutes=3))).sent == 2


async def test_the_worker_sends_due_reminders_to_the_console_in_development(
    gql: GraphQLClient,
    resources: Resources,
    migrated: Any,
    clock: SettableClock,
    doctor: Account,
    dose: str,
) -> None:
    from prescripcare.worker import build_worker

    clock.set(DUE + timedelta(minutes=1))
    worker = build_worker(migrated, clock=clock, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    sent = [(r.channel, r.status) for r in await outbox(resources)]
    assert sent == [("EMAIL", "SENT"), ("SMS", "SENT")]
    stream = await resources.redis.xrange(stream_key(resources.keys))
    assert sorted((f["kind"], f["channel"]) for _, f in stream) == [
        ("REMINDER_SENT", "EMAIL"),
        ("REMINDER_SENT", "SMS"),
    ]
    data = await gql.data(
        '{ patients { edges { node { doses(from: "2026-01-14T00:00:00Z", '
        'to: "2026-01-15T00:00:00Z") { id reminders { channel status sentAt } } } } } }',
        token=doctor.now_token,
    )
    reminders = data["patients"]["edges"][0]["node"]["doses"][0]["reminders"]
    assert reminders == [
        {"channel": "EMAIL", "status": "SENT", "sentAt": "2026-01-14T08:01:00Z"},
        {"channel": "SMS", "status": "SENT", "sentAt": "2026-01-14T08:01:00Z"},
    ]


async def test_a_deployment_may_allow_drug_names(resources: Resources, dose: str) -> None:
    await queue(resources, DUE)
    sms = Flaky(0)
    await send_ready(
        resources.sessions,
        {"SMS": sms, "EMAIL": sms},
        DUE,
        RetryPolicy(drug_names=True),
        "https://app.test/d",
    )
    assert all("08:00 metformin" in m.text for m in sms.sent)
