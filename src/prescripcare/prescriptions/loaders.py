"""Prescription loaders, filtered for the viewer through the patient."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.loading import SessionLoader, many_per_key, one_per_key
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Fill, Prescription

# (patient id, status or None for every status)
PatientStatusKey = tuple[uuid.UUID, str | None]


class PrescriptionByIdLoader(SessionLoader[uuid.UUID, Prescription | None]):
    async def load_batch(
        self, session: AsyncSession, keys: list[uuid.UUID]
    ) -> list[Prescription | None]:
        if self.viewer is None:
            return [None] * len(keys)
        rows = await session.scalars(
            select(Prescription)
            .join(Patient, col(Patient.id) == col(Prescription.patient_id))
            .where(col(Prescription.id).in_(keys), visible_patients(self.viewer))
        )
        return one_per_key(keys, rows, lambda p: p.id)


class PrescriptionsByPatientLoader(SessionLoader[PatientStatusKey, list[Prescription]]):
    async def load_batch(
        self, session: AsyncSession, keys: list[PatientStatusKey]
    ) -> list[list[Prescription]]:
        if self.viewer is None:
            return [[] for _ in keys]
        patient_ids = list({k[0] for k in keys})
        rows = list(
            await session.scalars(
                select(Prescription)
                .join(Patient, col(Patient.id) == col(Prescription.patient_id))
                .where(col(Prescription.patient_id).in_(patient_ids), visible_patients(self.viewer))
                .order_by(
                    # Newest first: by start date, then the latest entered
                    # (the id only makes equal instants deterministic).
                    col(Prescription.start_date).desc(),
                    col(Prescription.created_at).desc(),
                    col(Prescription.id).desc(),
                )
            )
        )
        by_patient = dict(
            zip(patient_ids, many_per_key(patient_ids, rows, lambda p: p.patient_id), strict=True)
        )
        return [
            [p for p in by_patient[pid] if status is None or p.status == status]
            for pid, status in keys
        ]


class FillsByPrescriptionLoader(SessionLoader[uuid.UUID, list[Fill]]):
    """Keys come from prescriptions already loaded for the viewer."""

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[list[Fill]]:
        rows = await session.scalars(
            select(Fill)
            .where(col(Fill.prescription_id).in_(keys))
            .order_by(col(Fill.filled_on), col(Fill.created_at))
        )
        return many_per_key(keys, rows, lambda f: f.prescription_id)
