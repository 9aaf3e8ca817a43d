"""Day counts from the `dose_days` rollup: one small row per prescription and
local date, so a window's cost follows its length, never the dose history.

Everything but `due` is a count by status, which the triggers keep. `due`
(the doses counted as scheduled: due by now, or settled already) depends on
the clock: every dose of an earlier local date, the settled ones of a later
one, and today's settled ones plus those due and still pending, counted from
today's dose rows (one day of one patient, through the index of doses still
SCHEDULED). The twin that counts every dose is `adherence/dose_log.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Date, DateTime, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.adherence.counts import (
    DayCounts,
    KeyColumn,
    WindowKey,
    per_key,
    whole_minutes,
)
from prescripcare.adherence.models import DoseDay
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.doses.window import LOCAL_DAY_REACH
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient


async def day_counts_from_rollup(
    session: AsyncSession,
    viewer: Viewer,
    key_column: KeyColumn,
    keys: list[WindowKey],
    now: datetime,
    on_time: timedelta,
) -> list[list[DayCounts]]:
    key = getattr(DoseDay, key_column)
    day = col(DoseDay.day)
    local_today = cast(func.timezone(col(Patient.timezone), now), Date)
    today_start = func.timezone(col(Patient.timezone), cast(day, DateTime))
    # Today's doses due and not settled yet (the partial index of doses
    # still SCHEDULED serves it); settled ones are in the rollup.
    pending_today = (
        select(func.count())
        .where(
            getattr(Dose, key_column) == key,
            col(Dose.status) == DoseStatus.SCHEDULED.value,
            col(Dose.scheduled_at) >= today_start,
            col(Dose.scheduled_at) <= now,
            # The same bound as a constant, so the plan reads only the
            # current month's partition (or two), not every month.
            col(Dose.scheduled_at) > now - LOCAL_DAY_REACH,
        )
        .scalar_subquery()
    )
    settled = func.sum(col(DoseDay.taken) + col(DoseDay.missed) + col(DoseDay.skipped))
    # Lateness is kept sorted: width_bucket is a binary search counting the
    # entries <= the threshold.
    on_time_here = func.width_bucket(whole_minutes(on_time), col(DoseDay.taken_minutes))
    rows = await session.execute(
        select(
            key.label("key"),
            day.label("day"),
            # A dose counts once due or settled: every dose of an earlier
            # date, only the settled ones (recorded early) of a later one.
            case(
                (day < local_today, func.sum(col(DoseDay.doses))),
                (day > local_today, settled),
                else_=settled + pending_today,
            ).label("due"),
            func.sum(col(DoseDay.taken)).label("taken"),
            func.sum(col(DoseDay.missed)).label("missed"),
            func.sum(col(DoseDay.skipped)).label("skipped"),
            func.sum(on_time_here).label("on_time"),
        )
        .join(Patient, col(Patient.id) == col(DoseDay.patient_id))
        .where(
            key.in_({k[0] for k in keys}),
            day >= min(k[1] for k in keys),
            day <= max(k[2] for k in keys),
            col(DoseDay.doses) > 0,
            visible_patients(viewer),
        )
        .group_by(key, day, col(Patient.timezone))
    )
    found: dict[uuid.UUID, list[DayCounts]] = {}
    for row in rows:
        found.setdefault(row.key, []).append(
            DayCounts(
                row.day,
                int(row.due),
                int(row.taken),
                int(row.missed),
                int(row.skipped),
                int(row.on_time),
            )
        )
    return per_key(keys, found)
