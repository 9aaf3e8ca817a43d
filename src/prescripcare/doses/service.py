"""The dose log: recording a dose taken or skipped, snoozing a reminder."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.models import Dose, DoseRecord, DoseStatus
from prescripcare.errors import ErrorCode, Problems, UserFacingError, not_found
from prescripcare.ids import parse_uuid
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Prescription, PrescriptionStatus

# The longest window of doses one request reads (a quarter and a bit).
MAX_WINDOW_DAYS = 93
# A dose's window opens this long before it is due: earlier, recording it is
# a mistake rather than a dose taken, and snoozing it is a change of
# schedule rather than "remind me later". One rule for both (TOO_EARLY).
EARLIEST_RECORD = timedelta(hours=2)
# A clock a few minutes fast on a phone is not a dose taken in the future.
CLOCK_SKEW = timedelta(minutes=5)
SNOOZE_MINUTES = (5, 240)


class DoseAction(StrEnum):
    TAKEN = "TAKEN"
    SKIPPED = "SKIPPED"


async def _dose(session: AsyncSession, viewer: Viewer, dose_id: str) -> tuple[Dose, Prescription]:
    # Administrators audit; they do not record patients' doses.
    viewer.require_role(Role.PATIENT, Role.CAREGIVER, Role.CLINICIAN)
    did = parse_uuid(dose_id)
    row = None
    if did is not None:
        row = (
            await session.execute(
                select(Dose, Prescription)
                .join(Prescription, col(Prescription.id) == col(Dose.prescription_id))
                .join(Patient, col(Patient.id) == col(Dose.patient_id))
                .where(col(Dose.id) == did, visible_patients(viewer))
                .with_for_update(of=Dose)
            )
        ).first()
    if row is None:
        raise not_found("Dose", "doseId")
    return row[0], row[1]


def _check_window(dose: Dose, now: datetime) -> None:
    opens = dose.scheduled_at - EARLIEST_RECORD
    if now < opens:
        wait = opens - now
        hours, minutes = divmod(math.ceil(wait.total_seconds() / 60), 60)
        raise UserFacingError.single(
            ErrorCode.TOO_EARLY,
            "This dose can be recorded or snoozed from two hours before it is due, "
            f"in {hours} h {minutes:02d} min.",
            "doseId",
        )


async def record_dose(
    session: AsyncSession,
    viewer: Viewer,
    dose_id: str,
    action: DoseAction,
    taken_at: datetime | None,
    now: datetime,
) -> Dose:
    dose, prescription = await _dose(session, viewer, dose_id)
    if prescription.status == PrescriptionStatus.DISCONTINUED.value and dose.scheduled_at > now:
        raise UserFacingError.single(
            ErrorCode.INVALID_STATE, "This prescription was discontinued.", "doseId"
        )
    _check_window(dose, now)
    problems = Problems()
    if action is DoseAction.TAKEN:
        taken = taken_at or now
        if taken > now + CLOCK_SKEW:
            problems.invalid("takenAt", "A dose cannot be taken in the future.")
        if taken < dose.scheduled_at - timedelta(hours=24):
            problems.invalid("takenAt", "That is more than a day before the dose was due.")
    else:
        if taken_at is not None:
            problems.invalid("takenAt", "A skipped dose has no time taken.")
        taken = None
    problems.raise_if_any()
    dose.status = action.value
    dose.taken_at = taken
    dose.recorded_at = now
    dose.recorded_by = viewer.user_id
    session.add(
        DoseRecord(
            dose_id=dose.id,
            dose_scheduled_at=dose.scheduled_at,
            status=action.value,
            taken_at=taken,
            recorded_at=now,
            recorded_by=viewer.user_id,
        )
    )
    await session.flush()
    await record(session, viewer, AuditAction.DOSE_RECORDED, "Dose", dose.id, dose.patient_id, now)
    return dose


async def snooze(
    session: AsyncSession, viewer: Viewer, dose_id: str, minutes: int, now: datetime
) -> Dose:
    dose, prescription = await _dose(session, viewer, dose_id)
    low, high = SNOOZE_MINUTES
    if not low <= minutes <= high:
        raise UserFacingError.single(
            ErrorCode.INVALID, f"Snooze for {low} to {high} minutes.", "minutes"
        )
    if dose.status != DoseStatus.SCHEDULED.value:
        raise UserFacingError.single(
            ErrorCode.INVALID_STATE, f"This dose is already {dose.status.lower()}.", "doseId"
        )
    if prescription.status != PrescriptionStatus.ACTIVE.value:
        raise UserFacingError.single(
            ErrorCode.INVALID_STATE, "This prescription is not active.", "doseId"
        )
    _check_window(dose, now)
    dose.snoozed_until = max(now, dose.scheduled_at) + timedelta(minutes=minutes)
    await session.flush()
    await record(session, viewer, AuditAction.DOSE_SNOOZED, "Dose", dose.id, dose.patient_id, now)
    return dose
