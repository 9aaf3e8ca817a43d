"""GraphQL types of patients."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated

import strawberry

from prescripcare.adherence.types import AdherenceType, adherence_over, window_or_error
from prescripcare.auth.types import UserType
from prescripcare.doses.service import MAX_WINDOW_DAYS as MAX_DOSE_WINDOW_DAYS
from prescripcare.doses.types import DoseType
from prescripcare.drugs.interactions import find_interactions
from prescripcare.drugs.types import Interaction
from prescripcare.graphql.enums import ReminderChannelEnum
from prescripcare.graphql.errors import UserError, bad_input
from prescripcare.graphql.info import Info
from prescripcare.graphql.pagination import PageInfo
from prescripcare.patients.models import Patient, ReminderChannel
from prescripcare.prescriptions.models import PrescriptionStatus
from prescripcare.prescriptions.types import PrescriptionStatusEnum, PrescriptionType


@strawberry.type
class QuietHours:
    start: time
    end: time


def check_dose_window(start: datetime, end: datetime) -> None:
    """`doses(from, to)`'s rule, shared with its execution plan."""
    if end <= start:
        raise bad_input("to", "`to` must be after `from`.")
    if end - start > timedelta(days=MAX_DOSE_WINDOW_DAYS):
        raise bad_input("to", f"A dose window is at most {MAX_DOSE_WINDOW_DAYS} days.")


@strawberry.type(name="Patient")
class PatientType:
    id: strawberry.ID
    name: str
    date_of_birth: date | None
    timezone: str = strawberry.field(description="IANA time zone name.")
    phone: str | None = strawberry.field(description="E.164.")
    email: str | None
    reminder_channels: list[ReminderChannelEnum]  # type: ignore[valid-type]
    quiet_hours: QuietHours | None = strawberry.field(
        description="Local times between which no reminder is sent."
    )
    _model: strawberry.Private[Patient]

    @classmethod
    def from_model(cls, patient: Patient) -> PatientType:
        quiet = (
            QuietHours(start=patient.quiet_start, end=patient.quiet_end)
            if patient.quiet_start is not None and patient.quiet_end is not None
            else None
        )
        return cls(
            id=strawberry.ID(str(patient.id)),
            name=patient.name,
            date_of_birth=patient.date_of_birth,
            timezone=patient.timezone,
            phone=patient.phone,
            email=patient.email,
            reminder_channels=[ReminderChannel(c) for c in patient.reminder_channels],
            quiet_hours=quiet,
            _model=patient,
        )

    @strawberry.field(
        description="BCP 47 tag of the language the patient's messages and reports are "
        "written in (the deployment's default until someone chooses)."
    )
    def language(self, info: Info) -> str:
        return self.language_or(info.context.resources.settings.default_language)

    def language_or(self, default: str) -> str:
        return self._model.language or default

    @strawberry.field(description="Caregivers linked to this patient.")
    async def caregivers(self, info: Info) -> list[UserType]:
        users = await info.context.loaders.caregivers_by_patient_id.load(self._model.id)
        return [UserType.from_model(u) for u in users]

    @strawberry.field(description="Clinicians on this patient's care team.")
    async def care_team(self, info: Info) -> list[UserType]:
        users = await info.context.loaders.care_team_by_patient_id.load(self._model.id)
        return [UserType.from_model(u) for u in users]

    @strawberry.field(
        description="Newest first: latest start date first, and of those the latest "
        "entered first; all statuses when `status` is not given."
    )
    async def prescriptions(
        self,
        info: Info,
        status: PrescriptionStatusEnum | None = None,  # type: ignore[valid-type]
    ) -> list[PrescriptionType]:
        key = (self._model.id, PrescriptionStatus(status).value if status else None)
        found = await info.context.loaders.prescriptions_by_patient.load(key)
        return [PrescriptionType.from_model(p) for p in found]

    @strawberry.field(description="The earliest dose still SCHEDULED of an active prescription.")
    async def next_dose(self, info: Info) -> DoseType | None:
        found = await info.context.loaders.next_dose_by_patient.load(self._model.id)
        return DoseType.from_model(found) if found else None

    @strawberry.field(
        description="Doses due from `from` (inclusive) to `to` (exclusive), "
        f"at most {MAX_DOSE_WINDOW_DAYS} days."
    )
    async def doses(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[DoseType]:
        check_dose_window(from_, to)
        found = await info.context.loaders.doses_by_patient_window.load((self._model.id, from_, to))
        return [DoseType.from_model(d) for d in found]

    @strawberry.field(
        description="Adherence over the last `days` local dates (today included) or the local "
        "dates `from` to `to` inclusive: exactly one form. PDC is the mean of the class-level "
        "PDCs of the patient's therapeutic classes (ATC level 2)."
    )
    async def adherence(
        self,
        info: Info,
        days: int | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> AdherenceType:
        loaders = info.context.loaders
        first, last = window_or_error(days, from_, to, self.timezone, info.context.now())
        return await adherence_over(
            loaders.drugs,
            first,
            last,
            loaders.dose_days_by_patient.load((self._model.id, first, last)),
            loaders.fills_by_patient.load(self._model.id),
            by_class=True,
        )

    @strawberry.field(
        description="Interactions among the patient's active prescriptions, most severe first."
    )
    async def interactions(self, info: Info) -> list[Interaction]:
        loaders = info.context.loaders
        active = await loaders.prescriptions_by_patient.load(
            (self._model.id, PrescriptionStatus.ACTIVE.value)
        )
        findings = await find_interactions(loaders.drugs, [p.rxcui for p in active])
        return [Interaction.from_finding(f) for f in findings]


@strawberry.type
class PatientEdge:
    cursor: str
    node: PatientType


@strawberry.type
class PatientConnection:
    edges: list[PatientEdge]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Patients matching the filter, on every page.")
    async def total_count(self) -> int:
        # Counted only when asked for: a statement the client did not request
        # is not spent.
        return await self._total()


@strawberry.input
class QuietHoursInput:
    start: time
    end: time


@strawberry.input
class CreatePatientInput:
    name: str
    date_of_birth: date
    timezone: str
    phone: str | None = strawberry.field(
        default=None,
        description="E.164, checked with libphonenumber (syntax and length for the country).",
    )
    email: str | None = None
    reminder_channels: list[ReminderChannelEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default: none until the patient consents to a channel."
    )
    language: str | None = strawberry.field(
        default=None,
        description="BCP 47 tag (en, es, fr, de, pt-BR...); default: the deployment's.",
    )


@strawberry.input(
    description="Omitted fields stay as they are; an explicit null clears an optional field."
)
class UpdatePatientInput:
    name: str | None = strawberry.UNSET
    date_of_birth: date | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    reminder_channels: list[ReminderChannelEnum] | None = strawberry.UNSET  # type: ignore[valid-type]
    quiet_hours: QuietHoursInput | None = strawberry.UNSET
    language: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="BCP 47 tag; null goes back to the deployment's default.",
    )


@strawberry.type
class PatientPayload:
    patient: PatientType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
