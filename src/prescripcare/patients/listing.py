"""A viewer's patients, in pages ordered by name then id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def patient_filter(viewer: Viewer, search: str | None) -> ColumnElement[bool]:
    clauses = [visible_patients(viewer)]
    # Every word of the search must appear in the name, in any case.
    for word in (search or "").split():
        clauses.append(col(Patient.name).ilike(f"%{_escape_like(word)}%", escape="\\"))
    return and_(*clauses)


async def page_patients(
    session: AsyncSession,
    viewer: Viewer,
    *,
    first: int,
    after: uuid.UUID | None,
    search: str | None,
) -> PatientPage:
    where = patient_filter(viewer, search)
    query = select(Patient).where(where)
    if after is not None:
        # One look-up of the cursor's row keeps the page query a plain keyset
        # scan on (name, id), and tells a stale cursor from an empty page.
        anchor = (
            await session.execute(
                select(col(Patient.name), col(Patient.id)).where(
                    col(Patient.id) == after, visible_patients(viewer)
                )
            )
        ).first()
        if anchor is None:
            raise StaleCursor()
        query = query.where(tuple_(col(Patient.name), col(Patient.id)) > tuple_(*anchor))
    rows = list(
        await session.scalars(query.order_by(col(Patient.name), col(Patient.id)).limit(first + 1))
    )
    return PatientPage(patients=rows[:first], has_next=len(rows) > first)


async def count_patients(session: AsyncSession, viewer: Viewer, search: str | None) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Patient).where(patient_filter(viewer, search))
    )
    return int(total or 0)
