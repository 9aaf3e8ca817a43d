"""Everything the adherence report prints, gathered for one viewer.

The figures come from `adherence.service.adherence_of` over the same batched
loaders the GraphQL `adherence` fields use (patient: by class; medication:
its own fills), so the PDF and the API cannot disagree. Every read filters
by the viewer in SQL, like the patient record itself.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.adherence.forecast import Supply, daily_amount, refill_due_on, runs_out_on
from prescripcare.adherence.loaders import PatientFill
from prescripcare.adherence.service import Adherence, adherence_of
from prescripcare.auth.viewer import Viewer
from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.doses.schedule import local_instant
from prescripcare.drugs.interactions import Finding, find_interactions
from prescripcare.patients.access import visible_patients
from prescripcare.patients.models import Patient
from prescripcare.prescriptions.models import Fill, Prescription, PrescriptionStatus

if TYPE_CHECKING:
    from prescripcare.graphql.context import Loaders

DEFAULT_DAYS = 90
# The list of missed and late doses keeps the report within two pages.
MAX_LISTED_DOSES = 8


@dataclass(frozen=True)
class Medication:
    prescription: Prescription
    name: str
    adherence: Adherence
    runs_out_on: date | None
    refill_due_on: date | None


@dataclass(frozen=True)
class DoseEvent:
    medication: str
    scheduled_at: datetime
    status: str
    taken_at: datetime | None


@dataclass(frozen=True)
class RefillGap:
    medication: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass
class ReportData:
    patient: Patient
    first: date
    last: date
    generated_at: datetime
    overall: Adherence
    medications: list[Medication]
    late: int
    on_time_minutes: int
    events: list[DoseEvent] = field(default_factory=list)
    events_total: int = 0
    gaps: list[RefillGap] = field(default_factory=list)
    interactions: list[Finding] = field(default_factory=list)


def default_window(timezone: str, now: datetime) -> tuple[date, date]:
    """The last DEFAULT_DAYS local dates of the patient, today included."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def refill_gaps(
    name: str, fills: list[Supply], first: date, last: date, *, ongoing: bool
) -> list[RefillGap]:
    """Days without supply between fills chained like refills (the forecast's
    rule), clipped to the window; for an `ongoing` medicine, a supply that
    ran out and was not renewed by `last` leaves a gap to `last`."""
    gaps: list[RefillGap] = []
    covered: date | None = None
    for supply in sorted(fills, key=lambda s: s.filled_on):
        if covered is not None and supply.filled_on > covered:
            gaps.append(RefillGap(name, covered, supply.filled_on - timedelta(days=1)))
        start = supply.filled_on if covered is None or covered < supply.filled_on else covered
        covered = start + timedelta(days=supply.days_supply)
    if ongoing and covered is not None and covered <= last:
        gaps.append(RefillGap(name, covered, last))
    return [
        RefillGap(g.medication, max(g.first, first), min(g.last, last))
        for g in gaps
        if g.last >= first and g.first <= last
    ]


async def _dose_events(
    session: AsyncSession,
    viewer: Viewer,
    patient: Patient,
    first: date,
    last: date,
    on_time: timedelta,
) -> tuple[list[tuple[Dose, uuid.UUID]], int]:
    """The most recent missed and late doses of the window, and how many
    there are; one statement each, filtered by the viewer."""
    zone = ZoneInfo(patient.timezone)
    low = local_instant(first, time(), zone)
    high = local_instant(last + timedelta(days=1), time(), zone)
    late = func.abs(func.extract("epoch", col(Dose.taken_at) - col(Dose.scheduled_at)))
    where = (
        col(Dose.patient_id) == patient.id,
        col(Dose.scheduled_at) >= low,
        col(Dose.scheduled_at) < high,
        or_(
            col(Dose.status) == DoseStatus.MISSED.value,
            (col(Dose.status) == DoseStatus.TAKEN.value) & (late > on_time.total_seconds()),
        ),
        visible_patients(viewer),
    )
    rows = await session.execute(
        select(Dose, col(Dose.prescription_id))
        .join(Patient, col(Patient.id) == col(Dose.patient_id))
        .where(*where)
        .order_by(col(Dose.scheduled_at).desc())
        .limit(MAX_LISTED_DOSES)
    )
    total = await session.scalar(
        select(func.count())
        .select_from(Dose)
        .join(Patient, col(Patient.id) == col(Dose.patient_id))
        .where(*where)
    )
    return [(row[0], row[1]) for row in rows], int(total or 0)


def _relevant(rx: Prescription, figures: Adherence, fills: list[Fill], last: date) -> bool:
    """Listed when active, or when it had doses or supply in the window."""
    if rx.status == PrescriptionStatus.ACTIVE.value or figures.scheduled or figures.settled:
        return True
    overlaps = rx.start_date <= last and (rx.end_date is None or rx.end_date >= figures.first)
    return overlaps and any(f.filled_on <= last for f in fills)


async def gather(
    session: AsyncSession,
    loaders: Loaders,
    viewer: Viewer,
    patient: Patient,
    first: date,
    last: date,
    now: datetime,
    on_time: timedelta,
    refill_lead_days: int,
) -> ReportData:
    """`patient` was found through the viewer's visibility filter."""
    prescriptions = await loaders.prescriptions_by_patient.load((patient.id, None))
    fills = await asyncio.gather(*(loaders.fills_by_prescription.load(p.id) for p in prescriptions))
    drugs = await asyncio.gather(*(loaders.drugs.by_rxcui.load(p.rxcui) for p in prescriptions))
    overall = await adherence_of(
        loaders.drugs,
        first,
        last,
        loaders.dose_days_by_patient.load((patient.id, first, last)),
        loaders.fills_by_patient.load(patient.id),
        by_class=True,
    )

    async def own_fills(rx: Prescription, own: list[Fill]) -> list[PatientFill]:
        return [PatientFill(f.prescription_id, rx.rxcui, f.filled_on, f.days_supply) for f in own]

    each = await asyncio.gather(
        *(
            adherence_of(
                loaders.drugs,
                first,
                last,
                loaders.dose_days_by_prescription.load((rx.id, first, last)),
                own_fills(rx, own),
                by_class=False,
            )
            for rx, own in zip(prescriptions, fills, strict=True)
        )
    )
    medications: list[Medication] = []
    gaps: list[RefillGap] = []
    names: dict[uuid.UUID, str] = {}
    for rx, own, drug, figures in zip(prescriptions, fills, drugs, each, strict=True):
        name = drug.name if drug is not None else rx.rxcui
        names[rx.id] = name
        if not _relevant(rx, figures, own, last):
            continue
        supplies = [Supply(f.filled_on, f.days_supply, f.quantity) for f in own]
        runs_out = runs_out_on(supplies, daily_amount(rx))
        latest = max((f.filled_on for f in own), default=None)
        active = rx.status == PrescriptionStatus.ACTIVE.value
        medications.append(
            Medication(
                rx,
                name,
                figures,
                runs_out if active else None,
                refill_due_on(runs_out, latest, refill_lead_days) if active else None,
            )
        )
        if not rx.as_needed:
            in_window = [s for s in supplies if s.filled_on <= last]
            until = min(last, _today(patient, now))
            gaps.extend(refill_gaps(name, in_window, first, until, ongoing=active))
    medications.sort(key=lambda m: (m.prescription.status != "ACTIVE", m.name.lower()))
    active_rxcuis = [m.prescription.rxcui for m in medications if m.prescription.status == "ACTIVE"]
    interactions = await find_interactions(loaders.drugs, active_rxcuis)
    doses, total = await _dose_events(session, viewer, patient, first, last, on_time)
    return ReportData(
        patient=patient,
        first=first,
        last=last,
        generated_at=now,
        overall=overall,
        medications=medications,
        late=overall.taken - overall.on_time,
        on_time_minutes=int(on_time.total_seconds() // 60),
        events=[
            DoseEvent(names.get(rx_id, ""), d.scheduled_at, d.status, d.taken_at)
            for d, rx_id in doses
        ],
        events_total=total,
        gaps=sorted(gaps, key=lambda g: g.first),
        interactions=interactions,
    )


def _today(patient: Patient, now: datetime) -> date:
    return now.astimezone(ZoneInfo(patient.timezone)).date()
