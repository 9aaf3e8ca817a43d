"""Refill reminders: once per fill, when the refill falls due
(REFILL_REMINDER_DAYS before the supply runs out), through the same outbox
as dose reminders."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.adherence.forecast import Supply, daily_amount, refill_due_on, runs_out_on
from prescripcare.loading import many_per_key
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Fill, Prescription, PrescriptionStatus
from prescripcare.reminders.models import Reminder, ReminderKind, ReminderState


async def queue_refill_reminders(
    session: AsyncSession, now: datetime, lead_days: int, channels: list[str]
) -> int:
    """Queues a reminder per channel for every active prescription whose
    latest fill's refill is due today or earlier; the unique key (fill,
    channel) makes it once per fill."""
    rows = list(
        await session.execute(
            select(Prescription, col(Patient.timezone), col(Patient.reminder_channels))
            .join(Patient, col(Patient.id) == col(Prescription.patient_id))
            .where(
                col(Prescription.status) == PrescriptionStatus.ACTIVE.value,
                col(Prescription.id).in_(select(col(Fill.prescription_id))),
            )
        )
    )
    if not rows:
        return 0
    ids = [row[0].id for row in rows]
    fills = many_per_key(
        ids,
        list(
            await session.scalars(
                select(Fill).where(col(Fill.prescription_id).in_(ids)).order_by(col(Fill.filled_on))
            )
        ),
        lambda f: f.prescription_id,
    )
    values = []
    for (prescription, timezone, patient_channels), own in zip(rows, fills, strict=True):
        supplies = [Supply(f.filled_on, f.days_supply, f.quantity) for f in own]
        latest = max(own, key=lambda f: (f.filled_on, f.created_at))
        due = refill_due_on(
            runs_out_on(supplies, daily_amount(prescription)), latest.filled_on, lead_days
        )
        if due is None or due > now.astimezone(ZoneInfo(timezone)).date():
            continue
        for channel in patient_channels:
            if channel in channels:
                values.append(
                    {
                        "id": uuid.uuid4(),
                        "kind": ReminderKind.REFILL.value,
                        "fill_id": latest.id,
                        "patient_id": prescription.patient_id,
                        "channel": channel,
                        "due_at": now,
                        "status": ReminderState.QUEUED.value,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    if not values:
        return 0
    result = await session.execute(
        insert(Reminder)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=["fill_id", "channel"], index_where=col(Reminder.fill_id).is_not(None)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
