"""A viewer's patients, in pages ordered by name then id, or by dose
adherence (lowest first, so the patients at risk come first)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    ScalarSelect,
    and_,
    cast,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.adherence.models import DoseDay
from prescripcare.auth.viewer import Viewer
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient

MAX_SEARCH_LENGTH = 100


class StaleCursor(Exception):
    """The cursor's patient is gone (or no longer visible)."""


@dataclass
class PatientPage:
    patients: list[Patient]
    has_next: bool
    # Each patient's adherence sort key (2.0 when nothing is counted yet).
    sort_values: list[float] = field(default_factory=list)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def patient_filter(viewer: Viewer, search: str | None) -> ColumnElement[bool]:
    clauses = [visible_patients(viewer)]
    # Every word of the search must appear in the name, in any case.
    for word in (search or "").split():
        clauses.append(col(Patient.name).ilike(f"%{_escape_like(word)}%", escape="\\"))
    return and_(*clauses)


@dataclass(frozen=True)
class AdherenceOrder:
    """Order by dose adherence over the last `days` local dates, ascending;
    patients with nothing to count yet come after everyone else."""

    days: int
    now: datetime


@dataclass(frozen=True)
class Anchor:
    row_id: uuid.UUID
    sort_value: float | None = None  # the adherence sort key the cursor saw


def dose_adherence(days: int, now: datetime) -> ScalarSelect[Any]:
    """taken / (taken + missed + skipped) of each patient's doses dated in
    the last `days` local dates, as a correlated subquery over the dose-day
    rollup (at most `days` rows per prescription); null with none. The same
    figure as the patient's `adherence(days:)`."""
    local_today = cast(func.timezone(col(Patient.timezone), now), Date)
    taken = func.sum(col(DoseDay.taken))
    settled = func.sum(col(DoseDay.taken) + col(DoseDay.missed) + col(DoseDay.skipped))
    return (
        select(cast(taken, Float) / func.nullif(settled, 0))
        .where(
            col(DoseDay.patient_id) == col(Patient.id),
            col(DoseDay.day) >= local_today - (days - 1),
            col(DoseDay.day) <= local_today,
        )
        .scalar_subquery()
    )


def _sort_key(order: AdherenceOrder) -> ColumnElement[float]:
    # Adherence never exceeds 1: 2 puts "nothing counted yet" last.
    return func.coalesce(dose_adherence(order.days, order.now), 2.0)


def patient_conditions(
    viewer: Viewer, search: str | None, adherence_below: float | None, order: AdherenceOrder
) -> ColumnElement[bool]:
    where = patient_filter(viewer, search)
    if adherence_below is not None:
        where = and_(where, dose_adherence(order.days, order.now) < adherence_below)
    return where


async def page_patients(
    session: AsyncSession,
    viewer: Viewer,
    *,
    first: int,
    after: Anchor | None,
    search: str | None,
    adherence: AdherenceOrder,
    adherence_below: float | None = None,
    by_adherence: bool = False,
) -> PatientPage:
    where = patient_conditions(viewer, search, adherence_below, adherence)
    key = _sort_key(adherence)
    query = select(Patient, key.label("sort_value")).where(where)
    order: list[Any] = [col(Patient.name), col(Patient.id)]
    if by_adherence:
        order.insert(0, key)
    if after is not None:
        # One look-up of the cursor's row keeps the page query a plain keyset
        # scan, and tells a stale cursor from an empty page.
        anchor = (
            await session.execute(
                select(col(Patient.name), col(Patient.id)).where(
                    col(Patient.id) == after.row_id, visible_patients(viewer)
                )
            )
        ).first()
        if anchor is None:
            raise StaleCursor()
        if by_adherence:
            sort_value = after.sort_value if after.sort_value is not None else 2.0
            query = query.where(
                tuple_(key, col(Patient.name), col(Patient.id))
                > tuple_(literal(sort_value), *anchor)
            )
        else:
            query = query.where(tuple_(col(Patient.name), col(Patient.id)) > tuple_(*anchor))
    rows = list(await session.execute(query.order_by(*order).limit(first + 1)))
    patients = [row[0] for row in rows[:first]]
    values = [float(row[1]) for row in rows[:first]]
    return PatientPage(patients=patients, has_next=len(rows) > first, sort_values=values)


async def count_patients(
    session: AsyncSession,
    viewer: Viewer,
    search: str | None,
    adherence_below: float | None = None,
    adherence: AdherenceOrder | None = None,
) -> int:
    order = adherence or AdherenceOrder(days=30, now=datetime.now(UTC))
    total = await session.scalar(
        select(func.count())
        .select_from(Patient)
        .where(patient_conditions(viewer, search, adherence_below, order))
    )
    return int(total or 0)
