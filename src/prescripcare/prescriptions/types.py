"""GraphQL types of prescriptions."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

import strawberry

from prescripcare.adherence.forecast import Supply, daily_amount, refill_due_on, runs_out_on
from prescripcare.adherence.loaders import PatientFill
from prescripcare.adherence.types import AdherenceType, adherence_over, window_or_error
from prescripcare.doses.types import DoseType
from prescripcare.drugs.types import DrugType, Interaction
from prescripcare.errors import WarningCode
from prescripcare.graphql.errors import UserError
from prescripcare.graphql.info import Info
from prescripcare.prescriptions.models import Fill, Prescription, PrescriptionStatus
from prescripcare.prescriptions.schedule_enums import DayOfWeek

PrescriptionStatusEnum = strawberry.enum(PrescriptionStatus, name="PrescriptionStatus")
DayOfWeekEnum = strawberry.enum(DayOfWeek, name="DayOfWeek")


@strawberry.type
class DoseAmount:
    quantity: float
    unit: str = strawberry.field(description="As written on the label: tablet, mL, mg, puff...")


@strawberry.type(name="Schedule")
class ScheduleType:
    times_of_day: list[time] = strawberry.field(description="Local wall-clock times.")
    days_of_week: list[DayOfWeekEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Empty means every day."
    )
    every_hours: int | None
    every_days: int | None
    as_needed: bool


@strawberry.type(name="Fill")
class FillType:
    id: strawberry.ID
    filled_on: date
    days_supply: int
    quantity: float | None

    @classmethod
    def from_model(cls, fill: Fill) -> FillType:
        return cls(
            id=strawberry.ID(str(fill.id)),
            filled_on=fill.filled_on,
            days_supply=fill.days_supply,
            quantity=fill.quantity,
        )


@strawberry.type(name="Prescription")
class PrescriptionType:
    id: strawberry.ID
    status: PrescriptionStatusEnum  # type: ignore[valid-type]
    status_reason: str | None = strawberry.field(description="Why it was discontinued.")
    sig: str | None
    start_date: date
    end_date: date | None = strawberry.field(description="Inclusive.")
    quantity: float | None
    days_supply: int | None
    refills: int | None
    refills_remaining: int | None
    dose: DoseAmount
    schedule: ScheduleType
    self_reported: bool = strawberry.field(description="Reported by the patient; no prescriber.")
    _model: strawberry.Private[Prescription]

    @classmethod
    def from_model(cls, p: Prescription) -> PrescriptionType:
        return cls(
            id=strawberry.ID(str(p.id)),
            status=PrescriptionStatus(p.status),
            status_reason=p.status_reason,
            sig=p.sig,
            start_date=p.start_date,
            end_date=p.end_date,
            quantity=p.quantity,
            days_supply=p.days_supply,
            refills=p.refills,
            refills_remaining=p.refills_remaining,
            dose=DoseAmount(quantity=p.dose_quantity, unit=p.dose_unit),
            schedule=ScheduleType(
                times_of_day=list(p.times_of_day),
                days_of_week=[DayOfWeek.from_iso(d) for d in p.days_of_week],
                every_hours=p.every_hours,
                every_days=p.every_days,
                as_needed=p.as_needed,
            ),
            self_reported=p.prescriber_id is None,
            _model=p,
        )

    @strawberry.field
    async def drug(self, info: Info) -> DrugType:
        found = await info.context.loaders.drugs.by_rxcui.load(self._model.rxcui)
        assert found is not None, "prescriptions reference catalog concepts"
        return DrugType.from_model(found)

    @strawberry.field(description="The earliest dose still SCHEDULED; null unless ACTIVE.")
    async def next_dose(self, info: Info) -> DoseType | None:
        if self._model.status != PrescriptionStatus.ACTIVE.value:
            return None
        found = await info.context.loaders.next_dose_by_prescription.load(self._model.id)
        return DoseType.from_model(found) if found else None

    @strawberry.field(
        description="Adherence to this prescription over the last `days` local dates or "
        "`from`..`to`; PDC over its own fills."
    )
    async def adherence(
        self,
        info: Info,
        days: int | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> AdherenceType:
        ctx = info.context
        patient = await ctx.loaders.patient_by_id.load(self._model.patient_id)
        assert patient is not None, "a visible prescription has a visible patient"
        first, last = window_or_error(days, from_, to, patient.timezone, ctx.now())
        return await adherence_over(
            ctx.loaders.drugs,
            first,
            last,
            ctx.loaders.dose_days_by_prescription.load((self._model.id, first, last)),
            self._own_fills(info),
            by_class=False,
        )

    async def _own_fills(self, info: Info) -> list[PatientFill]:
        fills = await info.context.loaders.fills_by_prescription.load(self._model.id)
        return [
            PatientFill(f.prescription_id, self._model.rxcui, f.filled_on, f.days_supply)
            for f in fills
        ]

    @strawberry.field(description="The first day without supply, from fills and the schedule.")
    async def runs_out_on(self, info: Info) -> date | None:
        fills = await info.context.loaders.fills_by_prescription.load(self._model.id)
        supplies = [Supply(f.filled_on, f.days_supply, f.quantity) for f in fills]
        return runs_out_on(supplies, daily_amount(self._model))

    @strawberry.field(
        description="When to ask for a refill: REFILL_REMINDER_DAYS before the supply runs out."
    )
    async def refill_due_on(self, info: Info) -> date | None:
        fills = await info.context.loaders.fills_by_prescription.load(self._model.id)
        supplies = [Supply(f.filled_on, f.days_supply, f.quantity) for f in fills]
        runs_out = runs_out_on(supplies, daily_amount(self._model))
        last = max((f.filled_on for f in fills), default=None)
        return refill_due_on(runs_out, last, info.context.resources.settings.refill_reminder_days)

    @strawberry.field
    async def fills(self, info: Info) -> list[FillType]:
        return [
            FillType.from_model(f)
            for f in await info.context.loaders.fills_by_prescription.load(self._model.id)
        ]


@strawberry.type
class PrescriptionWarning:
    code: str = strawberry.field(description=", ".join(WarningCode))
    message: str


@strawberry.type
class PrescribePayload:
    prescription: PrescriptionType | None = None
    interaction_warnings: list[Interaction] = strawberry.field(
        default_factory=list,
        description="Interactions with the patient's current drugs, most severe first, "
        "whether or not the prescription was refused.",
    )
    warnings: list[PrescriptionWarning] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PrescriptionPayload:
    prescription: PrescriptionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FillPayload:
    fill: FillType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
