"""Turning prescriptions into dose rows over a rolling horizon.

Doses are created from max(start date, now) on, never in the past, up to the
horizon; the unique key (prescription, instant) makes every run idempotent
and two concurrent runs harmless. A change of schedule, status or time zone
deletes the future unrecorded doses and creates them again; recorded history
is never touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.doses.schedule import Schedule, occurrences
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Prescription, PrescriptionStatus

CHUNK = 2000


def schedule_of(prescription: Prescription) -> Schedule:
    return Schedule(
        times_of_day=tuple(sorted(prescription.times_of_day)),
        days_of_week=frozenset(prescription.days_of_week),
        every_hours=prescription.every_hours,
        every_days=prescription.every_days,
        as_needed=prescription.as_needed,
    )


async def materialize(
    session: AsyncSession,
    prescription: Prescription,
    timezone: str,
    now: datetime,
    horizon: timedelta,
) -> int:
    """Creates the missing doses of an ACTIVE prescription from now to the
    horizon; answers how many were created."""
    if prescription.status != PrescriptionStatus.ACTIVE.value:
        return 0
    instants = occurrences(
        schedule_of(prescription),
        ZoneInfo(timezone),
        prescription.start_date,
        prescription.end_date,
        now,
        now + horizon,
    )
    created = 0
    for start in range(0, len(instants), CHUNK):
        rows = [
            {
                "id": uuid.uuid4(),
                "prescription_id": prescription.id,
                "patient_id": prescription.patient_id,
                "scheduled_at": at,
                "status": DoseStatus.SCHEDULED.value,
                "created_at": now,
            }
            for at in instants[start : start + CHUNK]
        ]
        result = await session.execute(
            insert(Dose)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_doses_prescription_time")
        )
        created += int(getattr(result, "rowcount", 0) or 0)
    return created


async def drop_future(
    session: AsyncSession, prescription_ids: Sequence[uuid.UUID], now: datetime
) -> int:
    """Deletes doses still to come and not recorded (history stays)."""
    if not prescription_ids:
        return 0
    result = await session.execute(
        delete(Dose).where(
            col(Dose.prescription_id).in_(prescription_ids),
            col(Dose.status) == DoseStatus.SCHEDULED.value,
            col(Dose.scheduled_at) > now,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def replace_future(
    session: AsyncSession,
    prescription: Prescription,
    timezone: str,
    now: datetime,
    horizon: timedelta,
) -> None:
    await drop_future(session, [prescription.id], now)
    await materialize(session, prescription, timezone, now, horizon)


async def regenerate_for_patient(
    session: AsyncSession, patient: Patient, now: datetime, horizon: timedelta
) -> None:
    """After a time zone change: every active prescription's future doses."""
    prescriptions = list(
        await session.scalars(
            select(Prescription).where(
                col(Prescription.patient_id) == patient.id,
                col(Prescription.status) == PrescriptionStatus.ACTIVE.value,
            )
        )
    )
    await drop_future(session, [p.id for p in prescriptions], now)
    for prescription in prescriptions:
        await materialize(session, prescription, patient.timezone, now, horizon)


async def extend_horizons(session: AsyncSession, now: datetime, horizon: timedelta) -> int:
    """The periodic job: completes courses whose end date has passed and tops
    every active prescription up to the horizon. Safe to run anywhere, any
    number of times at once."""
    rows = list(
        await session.execute(
            select(Prescription, col(Patient.timezone))
            .join(Patient, col(Patient.id) == col(Prescription.patient_id))
            .where(col(Prescription.status) == PrescriptionStatus.ACTIVE.value)
        )
    )
    created = 0
    for prescription, timezone in rows:
        today = now.astimezone(ZoneInfo(timezone)).date()
        if prescription.end_date is not None and prescription.end_date < today:
            await session.execute(
                update(Prescription)
                .where(col(Prescription.id) == prescription.id)
                .values(
                    status=PrescriptionStatus.COMPLETED.value, status_changed_at=now, updated_at=now
                )
            )
            continue
        created += await materialize(session, prescription, timezone, now, horizon)
    return created
