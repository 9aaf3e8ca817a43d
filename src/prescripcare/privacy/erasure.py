"""`erasePatient`: the right to erasure, and its ledger.

Erasure deletes the patient's row and their account; every table about the
patient cascades from those rows (the collect walk proves which), so what
remains are audit entries (identifiers only, kept by law) and one ledger
entry saying this patient was erased. Deleting the account removes its
refresh tokens, and an access token needs its account to exist, so every
session ends at the commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record as audit
from prescripcare.auth.models import Role, User
from prescripcare.auth.viewer import Viewer
from prescripcare.errors import not_found
from prescripcare.patients.models import Patient
from prescripcare.patients.service import find_visible_patient
from prescripcare.privacy.collect import rows_about_patient
from prescripcare.privacy.models import ErasureLedgerEntry
from prescripcare.reminders.models import Reminder, ReminderState

PENDING = (ReminderState.QUEUED.value, ReminderState.SENDING.value)


@dataclass(frozen=True)
class Erasure:
    patient_id: uuid.UUID
    user_id: uuid.UUID | None
    removed: dict[str, int]
    reminders_cancelled: int


async def erase_patient(
    session: AsyncSession, viewer: Viewer, patient_id: str, now: datetime
) -> Erasure:
    viewer.require_role(Role.PATIENT, Role.ADMIN)
    patient = await find_visible_patient(session, viewer, patient_id, lock=True)
    if patient is None:
        raise not_found("Patient", "patientId")
    # Locking the pending reminders makes a worker's claim wait for the
    # erasure and then find nothing; one already handed to a provider
    # (SENDING past its claim) cannot be called back.
    locked = await session.execute(
        select(col(Reminder.id))
        .where(col(Reminder.patient_id) == patient.id, col(Reminder.status).in_(PENDING))
        .with_for_update()
    )
    pending = len(locked.all())
    rows = await rows_about_patient(session, patient.id, patient.user_id)
    removed = {table: len(found) for table, found in sorted(rows.items())}
    user_id = patient.user_id
    await session.execute(delete(Patient).where(col(Patient.id) == patient.id))
    if user_id is not None:
        await session.execute(delete(User).where(col(User.id) == user_id))
    session.add(
        ErasureLedgerEntry(
            patient_id=patient.id,
            user_id=user_id,
            erased_by=None if viewer.user_id == user_id else viewer.user_id,
            erased_at=now,
            removed=removed,
        )
    )
    await audit(session, viewer, AuditAction.PATIENT_ERASED, "Patient", patient.id, patient.id, now)
    await session.flush()
    return Erasure(patient.id, user_id, removed, int(pending))
