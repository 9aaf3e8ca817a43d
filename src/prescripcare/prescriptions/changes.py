"""Changing a prescription: dose, schedule, end date, instructions, pausing
and resuming (`update_prescription`), and stopping it (`discontinue_prescription`).
Only current prescriptions change; a patient changes only what they reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.materialize import drop_future, replace_future
from prescripcare.errors import AccessDenied, ErrorCode, Problems, UserFacingError, not_found
from prescripcare.partial import KEEP, Keep
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.access import CURRENT, find_visible_prescription, local_today
from prescripcare.prescriptions.models import Prescription, PrescriptionStatus
from prescripcare.prescriptions.validation import (
    ScheduleData,
    check_dates,
    check_dose,
    check_schedule,
    check_text,
)


async def _changeable(
    session: AsyncSession, viewer: Viewer, prescription_id: str, where: str
) -> tuple[Prescription, Patient]:
    viewer.require_role(Role.PATIENT, Role.CLINICIAN)
    found = await find_visible_prescription(session, viewer, prescription_id, lock=True)
    if found is None:
        raise not_found("Prescription", where)
    prescription, patient = found
    if viewer.role is Role.PATIENT and prescription.prescriber_id is not None:
        raise AccessDenied("Patients change only the medicines they reported themselves.")
    if prescription.status not in CURRENT:
        raise UserFacingError.single(
            ErrorCode.INVALID_STATE,
            f"This prescription is {prescription.status.lower()} and can no longer change.",
            where,
        )
    return prescription, patient


@dataclass
class PrescriptionChanges:
    """A partial update (`prescripcare/partial.py`): KEEP leaves a field as it
    is; None clears the end date or the instructions."""

    dose_quantity: float | Keep = KEEP
    dose_unit: str | Keep = KEEP
    schedule: ScheduleData | Keep = KEEP
    end_date: date | Keep | None = KEEP
    sig: str | Keep | None = KEEP
    status: PrescriptionStatus | Keep = KEEP


async def update_prescription(
    session: AsyncSession,
    viewer: Viewer,
    prescription_id: str,
    changes: PrescriptionChanges,
    now: datetime,
    horizon: timedelta,
) -> Prescription:
    prescription, patient = await _changeable(session, viewer, prescription_id, "id")
    problems = Problems()
    if not isinstance(changes.dose_quantity, Keep) or not isinstance(changes.dose_unit, Keep):
        quantity = (
            prescription.dose_quantity
            if isinstance(changes.dose_quantity, Keep)
            else changes.dose_quantity
        )
        unit = prescription.dose_unit if isinstance(changes.dose_unit, Keep) else changes.dose_unit
        prescription.dose_unit = check_dose(quantity, unit, problems, "input.dose")
        prescription.dose_quantity = quantity
    regenerate = False
    if not isinstance(changes.schedule, Keep):
        check_schedule(changes.schedule, problems, "input.schedule")
        prescription.times_of_day = sorted(set(changes.schedule.times_of_day or []))
        prescription.days_of_week = sorted(set(changes.schedule.days_of_week or []))
        prescription.every_hours = changes.schedule.every_hours
        prescription.every_days = changes.schedule.every_days
        prescription.as_needed = bool(changes.schedule.as_needed)
        regenerate = True
    if not isinstance(changes.end_date, Keep):
        check_dates(prescription.start_date, changes.end_date, problems, "input")
        prescription.end_date = changes.end_date
        regenerate = True
    if not isinstance(changes.sig, Keep):
        prescription.sig = check_text(changes.sig, problems, "input.sig")
    if not isinstance(changes.status, Keep) and changes.status.value != prescription.status:
        if changes.status not in (PrescriptionStatus.ACTIVE, PrescriptionStatus.PAUSED):
            problems.invalid(
                "input.status",
                "Pause or resume here; use discontinuePrescription to stop a medicine.",
            )
        else:
            prescription.status = changes.status.value
            prescription.status_changed_by = viewer.user_id
            prescription.status_changed_at = now
            regenerate = True
    problems.raise_if_any()
    prescription.updated_at = now
    await session.flush()
    if regenerate:
        await replace_future(session, prescription, patient.timezone, now, horizon)
    await record(
        session,
        viewer,
        AuditAction.PRESCRIPTION_UPDATED,
        "Prescription",
        prescription.id,
        patient.id,
        now,
    )
    return prescription


async def discontinue_prescription(
    session: AsyncSession, viewer: Viewer, prescription_id: str, reason: str, now: datetime
) -> Prescription:
    prescription, patient = await _changeable(session, viewer, prescription_id, "id")
    problems = Problems()
    clean = check_text(reason, problems, "reason")
    if not clean:
        problems.invalid("reason", "Say why the medicine is stopped.")
    problems.raise_if_any()
    today = local_today(patient.timezone, now)
    prescription.status = PrescriptionStatus.DISCONTINUED.value
    prescription.status_reason = clean
    prescription.status_changed_by = viewer.user_id
    prescription.status_changed_at = now
    if prescription.end_date is None or prescription.end_date > today:
        prescription.end_date = max(today, prescription.start_date)
    prescription.updated_at = now
    await session.flush()
    await drop_future(session, [prescription.id], now)
    await record(
        session,
        viewer,
        AuditAction.PRESCRIPTION_DISCONTINUED,
        "Prescription",
        prescription.id,
        patient.id,
        now,
    )
    return prescription
