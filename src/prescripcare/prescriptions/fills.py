"""Recording a fill (a dispensing): its date, supply, and the refills it uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.errors import Problems, not_found
from prescripcare.prescriptions.access import find_visible_prescription, local_today
from prescripcare.prescriptions.models import Fill
from prescripcare.prescriptions.validation import check_supply


@dataclass
class NewFill:
    prescription_id: str
    filled_on: date
    days_supply: int
    quantity: float | None = None


async def record_fill(session: AsyncSession, viewer: Viewer, data: NewFill, now: datetime) -> Fill:
    viewer.require_role(Role.PATIENT, Role.CLINICIAN, Role.ADMIN)
    found = await find_visible_prescription(session, viewer, data.prescription_id, lock=True)
    if found is None:
        raise not_found("Prescription", "input.prescriptionId")
    prescription, patient = found
    problems = Problems()
    if data.filled_on > local_today(patient.timezone, now):
        problems.invalid("input.filledOn", "A fill cannot be dated in the future.")
    if data.filled_on < prescription.start_date - timedelta(days=30):
        problems.invalid("input.filledOn", "The fill is long before the prescription started.")
    check_supply(data.quantity, data.days_supply, None, problems, "input")
    problems.raise_if_any()
    earlier = await session.scalar(
        select(col(Fill.id)).where(col(Fill.prescription_id) == prescription.id).limit(1)
    )
    # The first fill dispenses the prescription; each later one uses a refill.
    if earlier is not None and prescription.refills_remaining:
        prescription.refills_remaining -= 1
    fill = Fill(
        prescription_id=prescription.id,
        filled_on=data.filled_on,
        days_supply=data.days_supply,
        quantity=data.quantity,
        recorded_by=viewer.user_id,
        created_at=now,
    )
    session.add(fill)
    await session.flush()
    await record(session, viewer, AuditAction.FILL_RECORDED, "Fill", fill.id, patient.id, now)
    return fill
