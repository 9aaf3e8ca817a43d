"""Dose loaders: next doses and a patient's doses in a window."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.doses.window import open_since
from prescripcare.loading import SessionLoader, one_per_key
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Prescription, PrescriptionStatus

WindowKey = tuple[uuid.UUID, datetime, datetime]


class _NextDoseLoader(SessionLoader[uuid.UUID, Dose | None]):
    """No dose is open longer than OPEN_REACH (doses/window.py): the next
    dose is looked for from then on, in the current and later months only."""

    def __init__(self, sessions: SessionFactory, viewer: Viewer | None, now: datetime) -> None:
        super().__init__(sessions, viewer)
        self.since = open_since(now)


class NextDoseByPrescriptionLoader(_NextDoseLoader):
    """The earliest dose still SCHEDULED (snoozed ones included)."""

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[Dose | None]:
        rows = await session.scalars(
            select(Dose)
            .where(
                col(Dose.prescription_id).in_(keys),
                col(Dose.status) == DoseStatus.SCHEDULED,
                col(Dose.scheduled_at) >= self.since,
            )
            .ext(distinct_on(col(Dose.prescription_id)))
            .order_by(col(Dose.prescription_id), col(Dose.scheduled_at))
        )
        return one_per_key(keys, rows, lambda d: d.prescription_id)


class NextDoseByPatientLoader(_NextDoseLoader):
    """A patient's earliest SCHEDULED dose of an active prescription."""

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[Dose | None]:
        if self.viewer is None:
            return [None] * len(keys)
        patients = (
            select(col(Patient.id).label("id"))
            .where(col(Patient.id).in_(keys), visible_patients(self.viewer))
            .subquery("visible")
        )
        # One index probe per patient (ix_doses_patient_next) instead of
        # sorting every scheduled dose of the horizon to keep the first.
        first = (
            select(Dose)
            .join(Prescription, col(Prescription.id) == col(Dose.prescription_id))
            .where(
                col(Dose.patient_id) == patients.c.id,
                col(Dose.status) == DoseStatus.SCHEDULED,
                col(Dose.scheduled_at) >= self.since,
                col(Prescription.status) == PrescriptionStatus.ACTIVE,
            )
            .order_by(col(Dose.scheduled_at))
            .limit(1)
            .lateral("next_dose")
        )
        rows = await session.scalars(
            select(aliased(Dose, first)).select_from(patients).join(first, true())
        )
        return one_per_key(keys, rows, lambda d: d.patient_id)


class DosesByPatientWindowLoader(SessionLoader[WindowKey, list[Dose]]):
    async def load_batch(self, session: AsyncSession, keys: list[WindowKey]) -> list[list[Dose]]:
        if self.viewer is None:
            return [[] for _ in keys]
        earliest = min(k[1] for k in keys)
        latest = max(k[2] for k in keys)
        rows = list(
            await session.scalars(
                select(Dose)
                .join(Patient, col(Patient.id) == col(Dose.patient_id))
                .where(
                    col(Dose.patient_id).in_({k[0] for k in keys}),
                    col(Dose.scheduled_at) >= earliest,
                    col(Dose.scheduled_at) < latest,
                    visible_patients(self.viewer),
                )
                .order_by(col(Dose.scheduled_at), col(Dose.id))
            )
        )
        return [
            [d for d in rows if d.patient_id == pid and start <= d.scheduled_at < end]
            for pid, start, end in keys
        ]


class DoseByIdLoader(SessionLoader[uuid.UUID, Dose | None]):
    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[Dose | None]:
        if self.viewer is None:
            return [None] * len(keys)
        rows = await session.scalars(
            select(Dose)
            .join(Patient, col(Patient.id) == col(Dose.patient_id))
            .where(col(Dose.id).in_(keys), visible_patients(self.viewer))
        )
        return one_per_key(keys, rows, lambda d: d.id)
