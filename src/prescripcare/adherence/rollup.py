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
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Date, DateTime, Integer, bindparam, case, cast, func, select
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
from prescripcare.loading import AnySelect, any_of
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient


def rollup_counts(viewer: Viewer, key_column: KeyColumn) -> AnySelect:
    """Per key and local date, the counts of the keys `:keys` from `:first`
    to `:last` at `:now`, lateness within `:on_time_minutes` counted on time:
    one statement for any number of keys, its text fixed (it is compiled once
    on the planned path)."""
    key = getattr(DoseDay, key_column)
    day = col(DoseDay.day)
    now = bindparam("now", type_=DateTime(timezone=True))
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
    on_time_here = func.width_bucket(
        bindparam("on_time_minutes", type_=Integer), col(DoseDay.taken_minutes)
    )
    return (
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
            key == any_of("keys", uuid.UUID),
            day >= bindparam("first", type_=Date),
            day <= bindparam("last", type_=Date),
            col(DoseDay.doses) > 0,
            visible_patients(viewer),
        )
        .group_by(key, day, col(Patient.timezone))
    )


def rollup_params(keys: list[WindowKey], now: datetime, on_time: timedelta) -> dict[str, Any]:
    """The values of `rollup_counts`'s parameters for these windows."""
    return {
        "keys": sorted({k[0] for k in keys}),
        "first": min(k[1] for k in keys),
        "last": max(k[2] for k in keys),
        "now": now,
        "on_time_minutes": whole_minutes(on_time),
    }


def counts_per_key(keys: list[WindowKey], rows: Iterable[Any]) -> list[list[DayCounts]]:
    """Each window's day counts out of `rollup_counts` rows."""
    found: dict[uuid.UUID, list[DayCounts]] = {}
    # Unpacked by position (the select's column order), not read by name: a
    # patient list hands over some 1,500 of these rows per request.
    for key, day, due, taken, missed, skipped, on_time in rows:
        group = found.get(key)
        if group is None:
            group = found[key] = []
        group.append(DayCounts(day, int(due), int(taken), int(missed), int(skipped), int(on_time)))
    return per_key(keys, found)


async def day_counts_from_rollup(
    session: AsyncSession,
    viewer: Viewer,
    key_column: KeyColumn,
    keys: list[WindowKey],
    now: datetime,
    on_time: timedelta,
) -> list[list[DayCounts]]:
    rows = await session.execute(
        rollup_counts(viewer, key_column), rollup_params(keys, now, on_time)
    )
    return counts_per_key(keys, rows)
