"""Prescription rules: prescribing behind the interaction gate, changes,
discontinuation and fills."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.materialize import drop_future, materialize, replace_future
from prescripcare.drugs.interactions import Finding, InteractionLoaders, find_interactions
from prescripcare.drugs.models import DrugConcept, Severity
from prescripcare.errors import (
    AccessDenied,
    ErrorCode,
    Problem,
    Problems,
    UserFacingError,
    WarningCode,
    not_found,
)
from prescripcare.ids import parse_uuid
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.patients.service import find_visible_patient
from prescripcare.prescriptions.models import (
    Fill,
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

# Prescriptions that count as "what the patient takes" for interaction checks.
CURRENT = (PrescriptionStatus.ACTIVE.value, PrescriptionStatus.PAUSED.value)


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
class PrescribingWarning:
    code: WarningCode
    message: str


@dataclass
class PrescribeOutcome:
    prescription: Prescription | None = None
    findings: list[Finding] = field(default_factory=list)
    warnings: list[PrescribingWarning] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def local_today(timezone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


async def _current_rxcuis(session: AsyncSession, patient_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(col(Prescription.rxcui)).where(
            col(Prescription.patient_id) == patient_id, col(Prescription.status).in_(CURRENT)
        )
    )
    return list(dict.fromkeys(rows))


def _gate(findings: list[Finding], data: NewPrescription) -> list[Problem]:
    """The contract's rule: CONTRAINDICATED needs acknowledgement and a
    reason, MAJOR needs acknowledgement, the rest is prescribed and reported."""
    worst = max((f.severity.rank for f in findings), default=0)
    if worst >= Severity.CONTRAINDICATED.rank and not (
        data.acknowledge_interactions and data.override_reason
    ):
        return [
            Problem(
                ErrorCode.INTERACTION_CONTRAINDICATED,
                "This drug is contraindicated with one the patient takes: acknowledge the "
                "interactions and give an override reason to prescribe it anyway.",
                "input.overrideReason",
            )
        ]
    if worst >= Severity.MAJOR.rank and not data.acknowledge_interactions:
        return [
            Problem(
                ErrorCode.INTERACTION_REQUIRES_ACKNOWLEDGEMENT,
                "This drug has a major interaction with one the patient takes: acknowledge it "
                "to prescribe.",
                "input.acknowledgeInteractions",
            )
        ]
    return []


async def _duplicates(
    loaders: InteractionLoaders, rxcui: str, current: list[str]
) -> list[PrescribingWarning]:
    new = {c.rxcui: c.name for c in await loaders.ingredients.load(rxcui)}
    warnings = []
    for other in current:
        shared = sorted(
            new[c.rxcui] for c in await loaders.ingredients.load(other) if c.rxcui in new
        )
        if shared:
            warnings.append(
                PrescribingWarning(
                    WarningCode.DUPLICATE_THERAPY,
                    f"The patient already takes {', '.join(shared)} in an active prescription.",
                )
            )
    return warnings


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
    current = await _current_rxcuis(session, patient.id)
    findings = await find_interactions(loaders, [drug.rxcui], against=current)
    outcome = PrescribeOutcome(findings=findings)
    outcome.problems = _gate(findings, data)
    if outcome.problems:
        return outcome  # refused before anything was written
    outcome.warnings = await _duplicates(loaders, drug.rxcui, current)

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
    dose_quantity: float | None = None
    dose_unit: str | None = None
    schedule: ScheduleData | None = None
    end_date: date | None = None
    clear_end_date: bool = False
    sig: str | None = None
    clear_sig: bool = False
    status: PrescriptionStatus | None = None


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
    if changes.dose_quantity is not None or changes.dose_unit is not None:
        prescription.dose_unit = check_dose(
            changes.dose_quantity
            if changes.dose_quantity is not None
            else prescription.dose_quantity,
            changes.dose_unit if changes.dose_unit is not None else prescription.dose_unit,
            problems,
            "input.dose",
        )
        if changes.dose_quantity is not None:
            prescription.dose_quantity = changes.dose_quantity
    regenerate = False
    if changes.schedule is not None:
        check_schedule(changes.schedule, problems, "input.schedule")
        prescription.times_of_day = sorted(set(changes.schedule.times_of_day or []))
        prescription.days_of_week = sorted(set(changes.schedule.days_of_week or []))
        prescription.every_hours = changes.schedule.every_hours
        prescription.every_days = changes.schedule.every_days
        prescription.as_needed = bool(changes.schedule.as_needed)
        regenerate = True
    if changes.end_date is not None or changes.clear_end_date:
        check_dates(prescription.start_date, changes.end_date, problems, "input")
        prescription.end_date = changes.end_date
        regenerate = True
    if changes.sig is not None or changes.clear_sig:
        prescription.sig = check_text(changes.sig, problems, "input.sig")
    if changes.status is not None and changes.status.value != prescription.status:
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
