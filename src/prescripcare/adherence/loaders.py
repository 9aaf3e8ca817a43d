"""Batched loaders for adherence: dose counts per local date, read from the
dose-day rollup (`adherence/rollup.py`; its twin over every dose is
`adherence/dose_log.py`), and a patient's fills. Each batch is one statement."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.adherence.counts import DayCounts, KeyColumn, WindowKey
from prescripcare.adherence.rollup import day_counts_from_rollup
from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory
from prescripcare.loading import AnySelect, SessionLoader, any_of, many_per_key
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Fill, Prescription

__all__ = [
    "DayCounts",
    "DoseDaysByPatientLoader",
    "DoseDaysByPrescriptionLoader",
    "DoseDaysLoader",
    "FillsByPatientLoader",
    "PatientFill",
    "WindowKey",
]


class DoseDaysLoader(SessionLoader[WindowKey, list[DayCounts]]):
    key_column: KeyColumn

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
        return await day_counts_from_rollup(
            session, self.viewer, self.key_column, keys, self.now, self.on_time
        )


class DoseDaysByPatientLoader(DoseDaysLoader):
    key_column = "patient_id"


class DoseDaysByPrescriptionLoader(DoseDaysLoader):
    key_column = "prescription_id"


@dataclass(frozen=True)
class PatientFill:
    prescription_id: uuid.UUID
    rxcui: str
    filled_on: date
    days_supply: int


def fills_of_patients(viewer: Viewer) -> AnySelect:
    """The fills of the patients `:patient_ids` the viewer may see, oldest
    first."""
    return (
        select(
            col(Prescription.patient_id),
            col(Fill.prescription_id),
            col(Prescription.rxcui),
            col(Fill.filled_on),
            col(Fill.days_supply),
        )
        .join(Prescription, col(Prescription.id) == col(Fill.prescription_id))
        .join(Patient, col(Patient.id) == col(Prescription.patient_id))
        .where(
            col(Prescription.patient_id) == any_of("patient_ids", uuid.UUID),
            visible_patients(viewer),
        )
        .order_by(col(Fill.filled_on))
    )


def fills_per_patient(keys: Sequence[uuid.UUID], rows: Iterable[Any]) -> list[list[PatientFill]]:
    pairs = [(r[0], PatientFill(r[1], r[2], r[3], r[4])) for r in rows]
    return [[f for _, f in g] for g in many_per_key(keys, pairs, lambda r: r[0])]


class FillsByPatientLoader(SessionLoader[uuid.UUID, list[PatientFill]]):
    async def load_batch(
        self, session: AsyncSession, keys: list[uuid.UUID]
    ) -> list[list[PatientFill]]:
        if self.viewer is None:
            return [[] for _ in keys]
        rows = await session.execute(fills_of_patients(self.viewer), {"patient_ids": keys})
        return fills_per_patient(keys, rows)
