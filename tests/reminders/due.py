"""Doses fallen due on the real clock, for tests and benchmarks whose worker
or API processes cannot share the suite's settable clock."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.encryption.columns import EncryptedText
from prescripcare.reminders.models import Reminder
from prescripcare.resources import Resources

PHONE = "+442079460123"
# The phone column is encrypted: the raw statements bind it through its type.
_PHONE = bindparam("phone", type_=EncryptedText("patients.phone"))


async def sms_doses_due(
    session: AsyncSession,
    now: datetime,
    count: int,
    spacing: timedelta,
    *,
    patient_id: uuid.UUID | None = None,
    timezone: str = "Europe/London",
) -> list[uuid.UUID]:
    """`count` doses of one active prescription, due at now - spacing,
    now - 2 * spacing, ..., for a patient reminded by SMS: `patient_id` is
    given a phone and the SMS channel, or a new patient is made. Returns the
    dose ids, latest due first."""
    ids = {"patient": patient_id or uuid.uuid4(), "rx": uuid.uuid4()}
    if patient_id is None:
        await session.execute(
            text(
                "INSERT INTO patients (id, name, timezone, phone, reminder_channels, created_at, "
                "updated_at) VALUES (:patient, 'Due Doses', :tz, :phone, ARRAY['SMS'], "
                ":now, :now)"
            ).bindparams(_PHONE),
            {**ids, "tz": timezone, "phone": PHONE, "now": now},
        )
    else:
        await session.execute(
            text(
                "UPDATE patients SET phone = :phone, reminder_channels = ARRAY['SMS'] "
                "WHERE id = :patient"
            ).bindparams(_PHONE),
            {**ids, "phone": PHONE},
        )
    await session.execute(
        text(
            "INSERT INTO prescriptions (id, patient_id, rxcui, dose_quantity, dose_unit, "
            "start_date, times_of_day, days_of_week, as_needed, status, created_at, "
            "updated_at) VALUES (:rx, :patient, '6809', 1, 'tablet', :today, "
            "ARRAY[]::time[], ARRAY[]::smallint[], false, 'ACTIVE', :now, :now)"
        ),
        {**ids, "now": now, "today": now.date()},
    )
    rows = await session.execute(
        text(
            "INSERT INTO doses (id, prescription_id, patient_id, scheduled_at, status, "
            "created_at) SELECT gen_random_uuid(), :rx, :patient, "
            "CAST(:now AS timestamptz) - i * CAST(:spacing AS interval), 'SCHEDULED', :now "
            "FROM generate_series(1, :count) i RETURNING id, scheduled_at"
        ),
        {**ids, "now": now, "count": count, "spacing": spacing},
    )
    return [row.id for row in sorted(rows, key=lambda row: row.scheduled_at, reverse=True)]


async def count_reminders(res: Resources, status: str) -> int:
    """Reminders in `status`, read in a session of their own."""
    async with res.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Reminder).where(col(Reminder.status) == status)
        )
        return int(count or 0)
