"""Finding a prescription the viewer may see, and which prescriptions are
current. Visibility is the patient's (`patients/access.py`), checked in SQL."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.auth.viewer import Viewer
from prescripcare.ids import parse_uuid
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Prescription, PrescriptionStatus

# Prescriptions that count as "what the patient takes" for interaction checks.
CURRENT = (PrescriptionStatus.ACTIVE.value, PrescriptionStatus.PAUSED.value)


def local_today(timezone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


async def find_visible_prescription(
    session: AsyncSession, viewer: Viewer, prescription_id: str, *, lock: bool = False
) -> tuple[Prescription, Patient] | None:
    pid = parse_uuid(prescription_id)
    if pid is None:
        return None
    query = (
        select(Prescription, Patient)
        .join(Patient, col(Patient.id) == col(Prescription.patient_id))
        .where(col(Prescription.id) == pid, visible_patients(viewer))
    )
    if lock:
        query = query.with_for_update(of=Prescription)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None
