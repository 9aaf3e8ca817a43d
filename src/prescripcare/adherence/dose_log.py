"""Day counts straight from the dose rows: the slow, obviously correct twin
of the rollup (`adherence/rollup.py`). Its cost grows with the doses in the
window; tests prove both answer the same on generated dose histories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Date, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.adherence.counts import DayCounts, KeyColumn, WindowKey, per_key
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient


async def day_counts_from_doses(
    session: AsyncSession,
    viewer: Viewer,
    key_column: KeyColumn,
    keys: list[WindowKey],
    now: datetime,
    on_time: timedelta,
) -> list[list[DayCounts]]:
    key = getattr(Dose, key_column)
    day = cast(func.timezone(col(Patient.timezone), col(Dose.scheduled_at)), Date)
    taken = col(Dose.status) == DoseStatus.TAKEN.value
    pending = DoseStatus.SCHEDULED.value
    late = func.abs(func.extract("epoch", col(Dose.taken_at) - col(Dose.scheduled_at)))
    # Two days of margin each side cover every UTC offset.
    low = datetime.combine(min(k[1] for k in keys) - timedelta(days=2), time(), UTC)
    high = datetime.combine(max(k[2] for k in keys) + timedelta(days=2), time(), UTC)
    rows = await session.execute(
        select(
            key.label("key"),
            day.label("day"),
            # Due by now, or recorded already (early): a dose counts in its
            # own day from the moment it is due or settled.
            func.count()
            .filter(or_(col(Dose.scheduled_at) <= now, col(Dose.status) != pending))
            .label("due"),
            func.count().filter(taken).label("taken"),
            func.count().filter(col(Dose.status) == DoseStatus.MISSED.value).label("missed"),
            func.count().filter(col(Dose.status) == DoseStatus.SKIPPED.value).label("skipped"),
            func.count().filter(taken, late <= on_time.total_seconds()).label("on_time"),
        )
        .join(Patient, col(Patient.id) == col(Dose.patient_id))
        .where(
            key.in_({k[0] for k in keys}),
            col(Dose.scheduled_at) >= low,
            col(Dose.scheduled_at) < high,
            visible_patients(viewer),
        )
        .group_by(key, day)
    )
    found: dict[uuid.UUID, list[DayCounts]] = {}
    for row in rows:
        found.setdefault(row.key, []).append(
            DayCounts(row.day, row.due, row.taken, row.missed, row.skipped, row.on_time)
        )
    return per_key(keys, found)
