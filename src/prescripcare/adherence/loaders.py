"""Batched loaders for adherence: dose counts per local date (aggregated in
SQL, never every dose in Python) and a patient's fills."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.loading import SessionLoader, many_per_key
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Fill, Prescription

# (patient or prescription id, first local date, last local date)
WindowKey = tuple[uuid.UUID, date, date]


@dataclass(frozen=True)
class DayCounts:
    day: date
    due: int
    taken: int
    missed: int
    skipped: int
    on_time: int


class _DoseDaysLoader(SessionLoader[WindowKey, list[DayCounts]]):
    key_column: str

    def __init__(
        self, sessions: SessionFactory, viewer: Viewer | None, now: datetime, on_time: timedelta
    ) -> None:
        super().__init__(sessions, viewer)
        self.now = now
        self.on_time = on_time

    async def load_batch(
        self, session: AsyncSession, keys: list[WindowKey]
    ) -> list[list[DayCounts]]:
        if self.viewer is None:
            return [[] for _ in keys]
        key = getattr(Dose, self.key_column)
        day = cast(func.timezone(col(Patient.timezone), col(Dose.scheduled_at)), Date)
        taken = col(Dose.status) == DoseStatus.TAKEN.value
        late = func.abs(func.extract("epoch", col(Dose.taken_at) - col(Dose.scheduled_at)))
        # Two days of margin each side cover every UTC offset.
        low = datetime.combine(min(k[1] for k in keys) - timedelta(days=2), time(), UTC)
        high = datetime.combine(max(k[2] for k in keys) + timedelta(days=2), time(), UTC)
        rows = await session.execute(
            select(
                key.label("key"),
                day.label("day"),
                func.count().filter(col(Dose.scheduled_at) <= self.now).label("due"),
                func.count().filter(taken).label("taken"),
                func.count().filter(col(Dose.status) == DoseStatus.MISSED.value).label("missed"),
                func.count().filter(col(Dose.status) == DoseStatus.SKIPPED.value).label("skipped"),
                func.count().filter(taken, late <= self.on_time.total_seconds()).label("on_time"),
            )
            .join(Patient, col(Patient.id) == col(Dose.patient_id))
            .where(
                key.in_({k[0] for k in keys}),
                col(Dose.scheduled_at) >= low,
                col(Dose.scheduled_at) < high,
                visible_patients(self.viewer),
            )
            .group_by(key, day)
        )
        by_key: dict[uuid.UUID, list[DayCounts]] = {}
        for row in rows:
            by_key.setdefault(row.key, []).append(
                DayCounts(row.day, row.due, row.taken, row.missed, row.skipped, row.on_time)
            )
        return [
            sorted((c for c in by_key.get(k, []) if first <= c.day <= last), key=lambda c: c.day)
            for k, first, last in keys
        ]


class DoseDaysByPatientLoader(_DoseDaysLoader):
    key_column = "patient_id"


class DoseDaysByPrescriptionLoader(_DoseDaysLoader):
    key_column = "prescription_id"


@dataclass(frozen=True)
class PatientFill:
    prescription_id: uuid.UUID
    rxcui: str
    filled_on: date
    days_supply: int


class FillsByPatientLoader(SessionLoader[uuid.UUID, list[PatientFill]]):
    async def load_batch(
        self, session: AsyncSession, keys: list[uuid.UUID]
    ) -> list[list[PatientFill]]:
        if self.viewer is None:
            return [[] for _ in keys]
        rows = await session.execute(
            select(
                col(Prescription.patient_id),
                col(Fill.prescription_id),
                col(Prescription.rxcui),
                col(Fill.filled_on),
                col(Fill.days_supply),
            )
            .join(Prescription, col(Prescription.id) == col(Fill.prescription_id))
            .join(Patient, col(Patient.id) == col(Prescription.patient_id))
            .where(col(Prescription.patient_id).in_(keys), visible_patients(self.viewer))
            .order_by(col(Fill.filled_on))
        )
        pairs = [(r[0], PatientFill(r[1], r[2], r[3], r[4])) for r in rows]
        return [[f for _, f in g] for g in many_per_key(keys, pairs, lambda r: r[0])]
