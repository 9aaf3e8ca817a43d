"""Prescribing: a new prescription passes input checks and the interaction
gate (`gate.py`), then is written with its overrides and first doses.
Changes are in `changes.py`, fills in `fills.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.materialize import materialize
from prescripcare.drugs.interactions import Finding, InteractionLoaders, find_interactions
from prescripcare.drugs.models import DrugConcept, Severity
from prescripcare.errors import ErrorCode, Problem, Problems, not_found
from prescripcare.patients.service import find_visible_patient
from prescripcare.prescriptions.access import local_today
from prescripcare.prescriptions.gate import (
    PrescribingWarning,
    current_rxcuis,
    duplicate_warnings,
    gate,
)
from prescripcare.prescriptions.models import (
    InteractionOverride,
    Prescription,
    PrescriptionStatus,
)
from prescripcare.prescriptions.validation import (
    ScheduleData,
    check_dates,
    check_dose,
    check_schedule,
    check_supply,
    check_text,
)


@dataclass
class NewPrescription:
    patient_id: str
    rxcui: str
    dose_quantity: float
    dose_unit: str
    schedule: ScheduleData
    start_date: date
    end_date: date | None = None
    sig: str | None = None
    quantity: float | None = None
    days_supply: int | None = None
    refills: int | None = None
    acknowledge_interactions: bool = False
    override_reason: str | None = None


@dataclass
class PrescribeOutcome:
    prescription: Prescription | None = None
    findings: list[Finding] = field(default_factory=list)
    warnings: list[PrescribingWarning] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


async def prescribe(
    session: AsyncSession,
    loaders: InteractionLoaders,
    viewer: Viewer,
    data: NewPrescription,
    now: datetime,
    horizon: timedelta,
) -> PrescribeOutcome:
    # Patients add medicines they take themselves; clinicians prescribe.
    viewer.require_role(Role.PATIENT, Role.CLINICIAN)
    patient = await find_visible_patient(session, viewer, data.patient_id, lock=True)
    if patient is None:
        raise not_found("Patient", "input.patientId")
    problems = Problems()
    unit = check_dose(data.dose_quantity, data.dose_unit, problems, "input.dose")
    check_schedule(data.schedule, problems, "input.schedule")
    check_dates(data.start_date, data.end_date, problems, "input")
    check_supply(data.quantity, data.days_supply, data.refills, problems, "input")
    sig = check_text(data.sig, problems, "input.sig")
    reason = check_text(data.override_reason, problems, "input.overrideReason")
    drug = await session.get(DrugConcept, data.rxcui) if data.rxcui.isdigit() else None
    if drug is None:
        problems.add(ErrorCode.UNKNOWN_DRUG, "input.rxcui", f"Unknown RXCUI {data.rxcui!r}.")
    problems.raise_if_any()
    assert drug is not None

    data.override_reason = reason
    current = await current_rxcuis(session, patient.id)
    findings = await find_interactions(loaders, [drug.rxcui], against=current)
    outcome = PrescribeOutcome(findings=findings)
    outcome.problems = gate(findings, data.acknowledge_interactions, data.override_reason)
    if outcome.problems:
        return outcome  # refused before anything was written
    outcome.warnings = await duplicate_warnings(loaders, drug.rxcui, current)

    today = local_today(patient.timezone, now)
    finished = data.end_date is not None and data.end_date < today
    prescription = Prescription(
        patient_id=patient.id,
        rxcui=drug.rxcui,
        prescriber_id=viewer.user_id if viewer.role is Role.CLINICIAN else None,
        created_by=viewer.user_id,
        dose_quantity=data.dose_quantity,
        dose_unit=unit,
        sig=sig,
        start_date=data.start_date,
        end_date=data.end_date,
        quantity=data.quantity,
        days_supply=data.days_supply,
        refills=data.refills,
        refills_remaining=data.refills,
        times_of_day=sorted(set(data.schedule.times_of_day or [])),
        days_of_week=sorted(set(data.schedule.days_of_week or [])),
        every_hours=data.schedule.every_hours,
        every_days=data.schedule.every_days,
        as_needed=bool(data.schedule.as_needed),
        status=(PrescriptionStatus.COMPLETED if finished else PrescriptionStatus.ACTIVE).value,
        created_at=now,
        updated_at=now,
    )
    session.add(prescription)
    await session.flush()
    for finding in findings:
        if finding.severity.rank >= Severity.MAJOR.rank:
            session.add(
                InteractionOverride(
                    prescription_id=prescription.id,
                    severity=finding.severity.value,
                    description=finding.description,
                    ingredient_rxcuis=[d.rxcui for d in finding.drugs],
                    acknowledged_by=viewer.user_id,
                    reason=reason,
                    created_at=now,
                )
            )
    await materialize(session, prescription, patient.timezone, now, horizon)
    await record(
        session,
        viewer,
        AuditAction.PRESCRIPTION_CREATED,
        "Prescription",
        prescription.id,
        patient.id,
        now,
    )
    outcome.prescription = prescription
    return outcome
