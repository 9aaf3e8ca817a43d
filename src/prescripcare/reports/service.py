"""Building, downloading and sharing the adherence report.

The caller passes the viewer's loaders (the GraphQL context's, or a set the
HTTP route makes the same way), so the report's figures come through the
same batched, viewer-filtered reads as the API's.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.mail import OutgoingMail
from prescripcare.auth.models import Role, User
from prescripcare.auth.viewer import Viewer
from prescripcare.db import reading
from prescripcare.errors import Problems, not_found
from prescripcare.i18n.translator import Language, speak
from prescripcare.notifications.message import MailAttachment
from prescripcare.patients.models import CaregiverLink, CareTeamMember, Patient
from prescripcare.patients.service import find_visible_patient
from prescripcare.reports.data import default_window, gather
from prescripcare.resources import Resources
from prescripcare.validation import clean_language

if TYPE_CHECKING:
    from prescripcare.graphql.context import Loaders

# A calendar year: the heat map stays readable and the report within two pages.
MAX_REPORT_DAYS = 366
PDF = "application/pdf"


@dataclass(frozen=True)
class Report:
    patient_id: uuid.UUID
    first: date
    last: date
    language: str
    pdf: bytes

    @property
    def filename(self) -> str:
        # No name in the file name: it shows in mail clients and downloads.
        return f"adherence-report-{self.first.isoformat()}-{self.last.isoformat()}.pdf"


def report_window(
    first: date | None, last: date | None, timezone: str, now: datetime
) -> tuple[date, date]:
    """Both dates (local, inclusive) or neither (the last 90 days)."""
    if first is None and last is None:
        return default_window(timezone, now)
    problems = Problems()
    if first is None or last is None:
        problems.invalid(
            "from" if first is None else "to", "Give both `from` and `to`, or neither."
        )
    elif last < first:
        problems.invalid("to", "`to` is before `from`.")
    elif (last - first).days + 1 > MAX_REPORT_DAYS:
        problems.invalid("to", f"A report covers at most {MAX_REPORT_DAYS} days.")
    problems.raise_if_any()
    assert first is not None and last is not None
    return first, last


def report_language(requested: str | None, patient: Patient, default: str) -> str:
    """The patient's language unless the reader asks for another one (a
    clinician who reads English, say)."""
    if requested:
        problems = Problems()
        tag = clean_language(requested, problems, "language")
        problems.raise_if_any()
        assert tag is not None
        return tag
    return patient.language or default


async def visible_patient(session: AsyncSession, viewer: Viewer, patient_id: str) -> Patient:
    patient = await find_visible_patient(session, viewer, patient_id)
    if patient is None:
        raise not_found("Patient", "patientId")
    return patient


async def build(
    resources: Resources,
    loaders: Loaders,
    viewer: Viewer,
    patient: Patient,
    first: date,
    last: date,
    language: str,
    now: datetime,
) -> Report:
    settings = resources.settings
    async with reading(resources.sessions) as session:
        data = await gather(
            session,
            loaders,
            viewer,
            patient,
            first,
            last,
            now,
            timedelta(minutes=settings.on_time_minutes),
            settings.refill_reminder_days,
        )
    # Imported here: reportlab is a tenth of a second of every API start-up,
    # and only a report needs it.
    from prescripcare.reports.pdf import render

    # Drawing and laying out take a fraction of a second of CPU: off the loop.
    pdf = await asyncio.to_thread(render, data, speak(language, patient.timezone))
    return Report(patient.id, first, last, language, pdf)


async def record_read(session: AsyncSession, viewer: Viewer, report: Report, now: datetime) -> None:
    await record(
        session,
        viewer,
        AuditAction.PATIENT_REPORT_READ,
        "AdherenceReport",
        report.patient_id,
        report.patient_id,
        now,
    )


async def recipient_with_access(session: AsyncSession, patient: Patient, recipient_id: str) -> User:
    """A caregiver linked to the patient or a clinician on their care team:
    sharing never widens who may see the record."""
    try:
        uid = uuid.UUID(str(recipient_id))
    except ValueError:
        raise not_found("User", "recipientId") from None
    linked = exists().where(
        col(CaregiverLink.patient_id) == patient.id, col(CaregiverLink.caregiver_id) == uid
    )
    on_team = exists().where(
        col(CareTeamMember.patient_id) == patient.id, col(CareTeamMember.user_id) == uid
    )
    user = await session.scalar(
        select(User).where(
            col(User.id) == uid,
            col(User.disabled_at).is_(None),
            (linked & (col(User.role) == Role.CAREGIVER.value))
            | (on_team & (col(User.role) == Role.CLINICIAN.value)),
        )
    )
    if user is None:
        raise not_found("User", "recipientId")
    return user


def report_mail(address: str, report: Report, lang: Language) -> OutgoingMail:
    """No name and no drug in the subject or body (they show in inboxes and on
    lock screens); the attachment holds the report."""
    body = "\n\n".join(
        (
            lang.gettext(
                "A PrescripCare patient shared their medication adherence report for "
                "%(first)s to %(last)s with you. It is attached as a PDF."
            )
            % {"first": lang.date(report.first), "last": lang.date(report.last)},
            lang.gettext(
                "It contains health information: keep it private, and delete it when you no "
                "longer need it."
            ),
        )
    )
    return OutgoingMail(
        address,
        lang.gettext("A medication adherence report was shared with you"),
        body,
        (MailAttachment(report.filename, PDF, report.pdf),),
    )


async def record_sent(
    session: AsyncSession, viewer: Viewer, report: Report, recipient: User, now: datetime
) -> None:
    await record(
        session,
        viewer,
        AuditAction.PATIENT_REPORT_SENT,
        "User",
        recipient.id,
        report.patient_id,
        now,
    )
