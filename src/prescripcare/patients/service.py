"""Patient rules: creation, updates, caregivers and care teams.

Every function takes the viewer, checks the role first (FORBIDDEN whatever the
target), then finds the patient through the visibility filter (NOT_FOUND for
one the viewer may not see), then validates, then writes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role, User
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.materialize import regenerate_for_patient
from prescripcare.errors import AccessDenied, ErrorCode, Problems, UserFacingError, not_found
from prescripcare.ids import parse_uuid
from prescripcare.partial import KEEP, Keep
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient, ReminderChannel
from prescripcare.reminders.consent import record_changes
from prescripcare.validation import (
    clean_email,
    clean_language,
    clean_name,
    clean_phone,
    clean_timezone,
)

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time


@dataclass
class NewPatient:
    name: str
    date_of_birth: date | None
    timezone: str
    phone: str | None = None
    email: str | None = None
    reminder_channels: list[ReminderChannel] = field(default_factory=list)
    user_id: uuid.UUID | None = None
    language: str | None = None


@dataclass
class PatientChanges:
    """A partial update (`prescripcare/partial.py`): KEEP leaves a field as it
    is, None clears it (refused for name, date of birth and time zone)."""

    name: str | Keep | None = KEEP
    date_of_birth: date | Keep | None = KEEP
    timezone: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP
    email: str | Keep | None = KEEP
    reminder_channels: list[ReminderChannel] | Keep | None = KEEP
    quiet_hours: QuietHours | Keep | None = KEEP
    # None: back to the deployment's default language.
    language: str | Keep | None = KEEP


def check_birth_date(value: date, today: date, problems: Problems, where: str) -> None:
    if value < EARLIEST_BIRTH_DATE or value > today:
        problems.invalid(where, "Date of birth must be a past date after 1900-01-01.")


def _check_channels(patient: Patient, problems: Problems, prefix: str) -> None:
    # A channel without its address is reported only when the address itself
    # was not already refused: one mistake, one error.
    channels = set(patient.reminder_channels)
    where = f"{prefix}.reminderChannels"
    if (
        ReminderChannel.SMS in channels
        and not patient.phone
        and not problems.has(f"{prefix}.phone")
    ):
        problems.invalid(where, "SMS reminders need a phone number.")
    if (
        ReminderChannel.EMAIL in channels
        and not patient.email
        and not problems.has(f"{prefix}.email")
    ):
        problems.invalid(where, "E-mail reminders need an e-mail address.")


def _dedupe(channels: list[ReminderChannel]) -> list[str]:
    return [c.value for c in dict.fromkeys(channels)]


def build_patient(data: NewPatient, now: datetime, problems: Problems, prefix: str) -> Patient:
    """A validated, unsaved patient; problems name fields under `prefix`."""
    name = clean_name(data.name, problems, f"{prefix}.name")
    tz = clean_timezone(data.timezone, problems, f"{prefix}.timezone")
    phone = clean_phone(data.phone, problems, f"{prefix}.phone") if data.phone else None
    email = clean_email(data.email, problems, f"{prefix}.email") if data.email else None
    language = (
        clean_language(data.language, problems, f"{prefix}.language") if data.language else None
    )
    if data.date_of_birth is not None:
        check_birth_date(data.date_of_birth, now.date(), problems, f"{prefix}.dateOfBirth")
    patient = Patient(
        user_id=data.user_id,
        name=name or "",
        date_of_birth=data.date_of_birth,
        timezone=tz or "",
        phone=phone,
        email=email,
        reminder_channels=_dedupe(data.reminder_channels),
        language=language,
        created_at=now,
        updated_at=now,
    )
    _check_channels(patient, problems, prefix)
    return patient


async def create_patient(
    session: AsyncSession, viewer: Viewer, data: NewPatient, now: datetime
) -> Patient:
    viewer.require_role(Role.CLINICIAN, Role.ADMIN)
    problems = Problems()
    patient = build_patient(data, now, problems, "input")
    problems.raise_if_any()
    patient.created_by = viewer.user_id
    session.add(patient)
    await session.flush()
    record_changes(session, patient.id, [], patient.reminder_channels, viewer.user_id, "app", now)
    await record(
        session, viewer, AuditAction.PATIENT_CREATED, "Patient", patient.id, patient.id, now
    )
    if viewer.role is Role.CLINICIAN:
        session.add(
            CareTeamMember(
                patient_id=patient.id,
                user_id=viewer.user_id,
                added_by=viewer.user_id,
                created_at=now,
            )
        )
        await session.flush()
    return patient


async def find_visible_patient(
    session: AsyncSession, viewer: Viewer, patient_id: str | uuid.UUID, *, lock: bool = False
) -> Patient | None:
    pid = patient_id if isinstance(patient_id, uuid.UUID) else parse_uuid(patient_id)
    if pid is None:
        return None
    query = select(Patient).where(col(Patient.id) == pid, visible_patients(viewer))
    if lock:
        query = query.with_for_update(of=Patient)
    return (await session.execute(query)).scalar_one_or_none()


async def patient_of_user(session: AsyncSession, user_id: uuid.UUID) -> Patient | None:
    """A PATIENT account's own record."""
    query = select(Patient).where(col(Patient.user_id) == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def _require_patient(
    session: AsyncSession, viewer: Viewer, patient_id: str, where: str
) -> Patient:
    patient = await find_visible_patient(session, viewer, patient_id, lock=True)
    if patient is None:
        raise not_found("Patient", where)
    return patient


async def _require_relationship(
    session: AsyncSession, viewer: Viewer, patient_id: str, where: str
) -> Patient:
    """The patient, for a change to who may see them (care team,
    caregivers) or to their consents. A break-glass grant opens the record,
    not its doors: a clinician whose only access is a grant may not change
    them (or they could add themself to the team and keep access after the
    grant expires, unflagged). FORBIDDEN, not NOT_FOUND: they do see the
    patient, and should ask the care team."""
    patient = await _require_patient(session, viewer, patient_id, where)
    if viewer.role is Role.CLINICIAN and viewer.at is not None:
        without_grant = replace(viewer, at=None)
        if await find_visible_patient(session, without_grant, patient.id) is None:
            raise AccessDenied(
                "Break-glass access cannot change the care team, caregivers or consents; "
                "ask the patient's care team."
            )
    return patient


def _apply_changes(
    patient: Patient, changes: PatientChanges, today: date, problems: Problems
) -> None:
    def required(value: object, where: str) -> bool:
        if value is None:
            problems.invalid(where, "This field cannot be cleared.")
            return False
        return not isinstance(value, Keep)

    if required(changes.name, "input.name"):
        assert isinstance(changes.name, str)
        patient.name = clean_name(changes.name, problems, "input.name") or patient.name
    if required(changes.date_of_birth, "input.dateOfBirth"):
        assert isinstance(changes.date_of_birth, date)
        check_birth_date(changes.date_of_birth, today, problems, "input.dateOfBirth")
        patient.date_of_birth = changes.date_of_birth
    if required(changes.timezone, "input.timezone"):
        assert isinstance(changes.timezone, str)
        patient.timezone = (
            clean_timezone(changes.timezone, problems, "input.timezone") or patient.timezone
        )
    if not isinstance(changes.phone, Keep):
        patient.phone = (
            clean_phone(changes.phone, problems, "input.phone") if changes.phone else None
        )
    if not isinstance(changes.email, Keep):
        patient.email = (
            clean_email(changes.email, problems, "input.email") if changes.email else None
        )
    if not isinstance(changes.language, Keep):
        patient.language = (
            clean_language(changes.language, problems, "input.language")
            if changes.language
            else None
        )
    if not isinstance(changes.reminder_channels, Keep):
        patient.reminder_channels = _dedupe(changes.reminder_channels or [])
    if not isinstance(changes.quiet_hours, Keep):
        quiet = changes.quiet_hours
        if quiet is not None and quiet.start == quiet.end:
            problems.invalid(
                "input.quietHours", "Quiet hours must start and end at different times."
            )
        patient.quiet_start = quiet.start if quiet else None
        patient.quiet_end = quiet.end if quiet else None


async def update_patient(
    session: AsyncSession,
    viewer: Viewer,
    patient_id: str,
    changes: PatientChanges,
    now: datetime,
    horizon: timedelta,
) -> Patient:
    viewer.require_role(Role.PATIENT, Role.CLINICIAN, Role.ADMIN)
    if isinstance(changes.reminder_channels, Keep):
        patient = await _require_patient(session, viewer, patient_id, "id")
    else:  # the channels are the patient's consents
        patient = await _require_relationship(session, viewer, patient_id, "id")
    old_timezone = patient.timezone
    old_channels = list(patient.reminder_channels)
    problems = Problems()
    _apply_changes(patient, changes, now.date(), problems)
    _check_channels(patient, problems, "input")
    problems.raise_if_any()
    patient.updated_at = now
    record_changes(
        session, patient.id, old_channels, patient.reminder_channels, viewer.user_id, "app", now
    )
    await session.flush()
    if patient.timezone != old_timezone:
        # 08:00 means 08:00 where the patient now lives: future unrecorded
        # doses are recreated in the new zone; history keeps its instants.
        await regenerate_for_patient(session, patient, now, horizon)
    # Last, so the audit chain's lock is held only until the commit.
    await record(
        session, viewer, AuditAction.PATIENT_UPDATED, "Patient", patient.id, patient.id, now
    )
    return patient


async def set_language(
    session: AsyncSession, viewer: Viewer, patient_id: str, language: str | None, now: datetime
) -> Patient:
    """The one patient setting a caregiver may change too: the language the
    patient reads (caregivers often set up a relative's phone). None goes
    back to the deployment's default."""
    viewer.require_role(Role.PATIENT, Role.CAREGIVER, Role.CLINICIAN, Role.ADMIN)
    patient = await _require_patient(session, viewer, patient_id, "patientId")
    problems = Problems()
    cleaned = clean_language(language, problems, "language") if language else None
    problems.raise_if_any()
    patient.language = cleaned
    patient.updated_at = now
    await session.flush()
    await record(
        session, viewer, AuditAction.PATIENT_UPDATED, "Patient", patient.id, patient.id, now
    )
    return patient


async def _user_with_role(
    session: AsyncSession, email: str, role: Role, problems: Problems, where: str
) -> User:
    address = clean_email(email, problems, where)
    problems.raise_if_any()
    user = (
        await session.execute(
            select(User).where(
                col(User.email_blind_index) == address,
                col(User.role) == role.value,
                col(User.disabled_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    if user is None:
        raise UserFacingError.single(
            ErrorCode.NOT_FOUND, f"No {role.value.lower()} account uses this e-mail.", where
        )
    return user


async def link_caregiver(
    session: AsyncSession, viewer: Viewer, patient_id: str, email: str, now: datetime
) -> Patient:
    viewer.require_role(Role.PATIENT, Role.CLINICIAN, Role.ADMIN)
    patient = await _require_relationship(session, viewer, patient_id, "patientId")
    caregiver = await _user_with_role(session, email, Role.CAREGIVER, Problems(), "email")
    await session.execute(
        insert(CaregiverLink)
        .values(
            patient_id=patient.id,
            caregiver_id=caregiver.id,
            created_by=viewer.user_id,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    await record(
        session,
        viewer,
        AuditAction.CAREGIVER_LINKED,
        "CaregiverLink",
        caregiver.id,
        patient.id,
        now,
    )
    return patient


async def unlink_caregiver(
    session: AsyncSession, viewer: Viewer, patient_id: str, caregiver_id: str, now: datetime
) -> Patient:
    # A caregiver may step back from a patient themself; nobody else's link.
    viewer.require_role(Role.PATIENT, Role.CAREGIVER, Role.CLINICIAN, Role.ADMIN)
    patient = await _require_relationship(session, viewer, patient_id, "patientId")
    cid = parse_uuid(caregiver_id)
    if viewer.role is Role.CAREGIVER and cid != viewer.user_id:
        raise not_found("Caregiver link", "caregiverId")
    result = await session.execute(
        delete(CaregiverLink).where(
            col(CaregiverLink.patient_id) == patient.id, col(CaregiverLink.caregiver_id) == cid
        )
    )
    if not getattr(result, "rowcount", 0):
        raise not_found("Caregiver link", "caregiverId")
    await record(
        session, viewer, AuditAction.CAREGIVER_UNLINKED, "CaregiverLink", cid, patient.id, now
    )
    return patient


async def add_care_team_member(
    session: AsyncSession, viewer: Viewer, patient_id: str, email: str, now: datetime
) -> Patient:
    # Staff only: a patient adding by e-mail learned which
    # addresses are clinicians' and their names. The patient asks their
    # clinician or the clinic's admin; they may still remove a member.
    viewer.require_role(Role.CLINICIAN, Role.ADMIN)
    patient = await _require_relationship(session, viewer, patient_id, "patientId")
    clinician = await _user_with_role(session, email, Role.CLINICIAN, Problems(), "email")
    await session.execute(
        insert(CareTeamMember)
        .values(
            patient_id=patient.id, user_id=clinician.id, added_by=viewer.user_id, created_at=now
        )
        .on_conflict_do_nothing()
    )
    await record(
        session,
        viewer,
        AuditAction.CARE_TEAM_MEMBER_ADDED,
        "CareTeamMember",
        clinician.id,
        patient.id,
        now,
    )
    return patient


async def remove_care_team_member(
    session: AsyncSession, viewer: Viewer, patient_id: str, user_id: str, now: datetime
) -> Patient:
    viewer.require_role(Role.PATIENT, Role.CLINICIAN, Role.ADMIN)
    patient = await _require_relationship(session, viewer, patient_id, "patientId")
    result = await session.execute(
        delete(CareTeamMember).where(
            col(CareTeamMember.patient_id) == patient.id,
            col(CareTeamMember.user_id) == parse_uuid(user_id),
        )
    )
    if not getattr(result, "rowcount", 0):
        raise not_found("Care team member", "userId")
    await record(
        session,
        viewer,
        AuditAction.CARE_TEAM_MEMBER_REMOVED,
        "CareTeamMember",
        parse_uuid(user_id),
        patient.id,
        now,
    )
    return patient
