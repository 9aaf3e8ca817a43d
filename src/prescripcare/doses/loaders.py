"""Dose loaders: next doses and a patient's doses in a window."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, select, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from prescripcare.auth.viewer import Viewer
from prescripcare.db import SessionFactory
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.doses.window import open_since
from prescripcare.loading import AnySelect, SessionLoader, any_of, one_per_key
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Prescription, PrescriptionStatus

WindowKey = tuple[uuid.UUID, datetime, datetime]


# No dose is open longer than OPEN_REACH (doses/window.py): next doses are
# looked for from `:since` on, so only the current and later months are read.
_SINCE = bindparam("since", type_=DateTime(timezone=True))


def next_doses_of_prescriptions(viewer: object = None) -> AnySelect:
    """The earliest dose still SCHEDULED (snoozed ones included) of each
    prescription of `:prescription_ids` (already loaded for the viewer),
    scheduled at `:since` or later."""
    return (
        select(Dose)
        .where(
            col(Dose.prescription_id) == any_of("prescription_ids", uuid.UUID),
            col(Dose.status) == DoseStatus.SCHEDULED,
            col(Dose.scheduled_at) >= _SINCE,
        )
        .ext(distinct_on(col(Dose.prescription_id)))
        .order_by(col(Dose.prescription_id), col(Dose.scheduled_at))
    )


class _NextDoseLoader(SessionLoader[uuid.UUID, Dose | None]):
    def __init__(self, sessions: SessionFactory, viewer: Viewer | None, now: datetime) -> None:
        super().__init__(sessions, viewer)
        self.since = open_since(now)


class NextDoseByPrescriptionLoader(_NextDoseLoader):
    """The earliest dose still SCHEDULED (snoozed ones included)."""

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[Dose | None]:
        rows = await session.scalars(
            next_doses_of_prescriptions(),
            {"prescription_ids": list(keys), "since": self.since},
        )
        return one_per_key(keys, rows, lambda d: d.prescription_id)


def next_doses_of_patients(viewer: Viewer) -> AnySelect:
    """The earliest SCHEDULED dose, at `:since` or later, of an active
    prescription of each patient of `:patient_ids` the viewer may see: one
    index probe per patient (ix_doses_patient_next) instead of sorting every
    scheduled dose of the horizon to keep the first."""
    patients = (
        select(col(Patient.id).label("id"))
        .where(col(Patient.id) == any_of("patient_ids", uuid.UUID), visible_patients(viewer))
        .subquery("visible")
    )
    first = (
        select(Dose)
        .join(Prescription, col(Prescription.id) == col(Dose.prescription_id))
        .where(
            col(Dose.patient_id) == patients.c.id,
            col(Dose.status) == DoseStatus.SCHEDULED,
            col(Dose.scheduled_at) >= _SINCE,
            col(Prescription.status) == PrescriptionStatus.ACTIVE,
        )
        .order_by(col(Dose.scheduled_at))
        .limit(1)
        .lateral("next_dose")
    )
    return select(aliased(Dose, first)).select_from(patients).join(first, true())


class NextDoseByPatientLoader(_NextDoseLoader):
    """A patient's earliest SCHEDULED dose of an active prescription."""

    async def load_batch(self, session: AsyncSession, keys: list[uuid.UUID]) -> list[Dose | None]:
        if self.viewer is None:
            return [None] * len(keys)
        rows = await session.scalars(
            next_doses_of_patients(self.viewer), {"patient_ids": list(keys), "since": self.since}
        )
        return one_per_key(keys, rows, lambda d: d.patient_id)


def doses_of_patients_between(viewer: Viewer) -> AnySelect:
    """The doses of the patients `:patient_ids` the viewer may see, scheduled
    from `:earliest` (inclusive) to `:latest` (exclusive), in time order."""
    return (
        select(Dose)
        .join(Patient, col(Patient.id) == col(Dose.patient_id))
        .where(
            col(Dose.patient_id) == any_of("patient_ids", uuid.UUID),
            col(Dose.scheduled_at) >= bindparam("earliest", type_=DateTime(timezone=True)),
            col(Dose.scheduled_at) < bindparam("latest", type_=DateTime(timezone=True)),
            visible_patients(viewer),
        )
        .order_by(col(Dose.scheduled_at), col(Dose.id))
    )


def window_params(keys: Sequence[WindowKey]) -> dict[str, Any]:
    return {
        "patient_ids": sorted({k[0] for k in keys}),
        "earliest": min(k[1] for k in keys),
        "latest": max(k[2] for k in keys),
    }


def doses_per_window(keys: Sequence[WindowKey], rows: Sequence[Any]) -> list[list[Any]]:
    return [
        [d for d in rows if d.patient_id == pid and start <= d.scheduled_at < end]
        for pid, start, end in keys
    ]


class DosesByPatientWindowLoader(SessionLoader[WindowKey, list[Dose]]):
    async def load_batch(self, session: AsyncSession, keys: list[WindowKey]) -> list[list[Dose]]:
        if self.viewer is None:
            return [[] for _ in keys]
        rows = list(
            await session.scalars(doses_of_patients_between(self.viewer), window_params(keys))
        )
        return doses_per_window(keys, rows)


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
