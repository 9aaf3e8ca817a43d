"""Prescription loaders, filtered for the viewer through the patient."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.viewer import Viewer
from prescripcare.loading import AnySelect, SessionLoader, any_of, many_per_key, one_per_key
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Fill, Prescription

# (patient id, status or None for every status)
PatientStatusKey = tuple[uuid.UUID, str | None]


def prescriptions_by_id(viewer: Viewer) -> AnySelect:
    """The prescriptions `:ids` the viewer may see."""
    return (
        select(Prescription)
        .join(Patient, col(Patient.id) == col(Prescription.patient_id))
        .where(col(Prescription.id) == any_of("ids", uuid.UUID), visible_patients(viewer))
    )


class PrescriptionByIdLoader(SessionLoader[uuid.UUID, Prescription | None]):
    async def load_batch(
        self, session: AsyncSession, keys: list[uuid.UUID]
    ) -> list[Prescription | None]:
        if self.viewer is None:
            return [None] * len(keys)
        rows = await session.scalars(prescriptions_by_id(self.viewer), {"ids": list(keys)})
        return one_per_key(keys, rows, lambda p: p.id)


def prescriptions_of_patients(viewer: Viewer) -> AnySelect:
    """The prescriptions of the patients `:patient_ids` the viewer may see,
    newest first: by start date, then the latest entered (the id only makes
    equal instants deterministic)."""
    return (
        select(Prescription)
        .join(Patient, col(Patient.id) == col(Prescription.patient_id))
        .where(
            col(Prescription.patient_id) == any_of("patient_ids", uuid.UUID),
            visible_patients(viewer),
        )
        .order_by(
            col(Prescription.start_date).desc(),
            col(Prescription.created_at).desc(),
            col(Prescription.id).desc(),
        )
    )


def by_patient_and_status(
    keys: Sequence[PatientStatusKey], patient_ids: list[uuid.UUID], rows: Sequence[Any]
) -> list[list[Any]]:
    """Each key's prescriptions out of `prescriptions_of_patients` rows."""
    by_patient = dict(
        zip(patient_ids, many_per_key(patient_ids, rows, lambda p: p.patient_id), strict=True)
    )
    return [
        [p for p in by_patient[pid] if status is None or p.status == status] for pid, status in keys
    ]


class PrescriptionsByPatientLoader(SessionLoader[PatientStatusKey, list[Prescription]]):
    async def load_batch(
        self, session: AsyncSession, keys: list[PatientStatusKey]
    ) -> list[list[Prescription]]:
        if self.viewer is None:
            return [[] for _ in keys]
        patient_ids = list({k[0] for k in keys})
        rows = list(
            await session.scalars(
                prescriptions_of_patients(self.viewer), {"patient_ids": patient_ids}
            )
        )
        return by_patient_and_status(keys, patient_ids, rows)


def fills_of_prescriptions(viewer: object = None) -> AnySelect:
    """The fills of the prescriptions `:prescription_ids` (already loaded for
    the viewer), oldest first."""
    return (
        select(Fill)
        .where(col(Fill.prescription_id) == any_of("prescription_ids", uuid.UUID))
        .order_by(col(Fill.filled_on), col(Fill.created_at))
    )


class FillsByPrescriptionLoader(SessionLoader[uuid.UUID, list[Fill]]):
    """Keys come from prescriptions already loaded for the viewer."""

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[list[Fill]]:
        rows = await session.scalars(fills_of_prescriptions(), {"prescription_ids": list(keys)})
        return many_per_key(keys, rows, lambda f: f.prescription_id)
