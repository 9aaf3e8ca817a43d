"""GraphQL inputs of prescriptions, exactly as the contract writes them."""

from __future__ import annotations

from datetime import date, time

import strawberry

from prescripcare.prescriptions.models import PrescriptionStatus
from prescripcare.prescriptions.schedule_enums import DayOfWeek
from prescripcare.prescriptions.types import DayOfWeekEnum, PrescriptionStatusEnum
from prescripcare.prescriptions.validation import ScheduleData


@strawberry.input
class DoseInput:
    quantity: float
    unit: str = strawberry.field(
        description="Free text unit as written on the label: tablet, mL, mg, puff..."
    )


@strawberry.input(
    description="At least one of: timesOfDay (daily or on daysOfWeek), everyHours (elapsed "
    "hours from the start, e.g. 8 for q8h), everyDays (every N days at timesOfDay), asNeeded. "
    "daysOfWeek empty or missing means every day."
)
class ScheduleInput:
    times_of_day: list[time] | None = None
    days_of_week: list[DayOfWeekEnum] | None = None  # type: ignore[valid-type]
    every_hours: int | None = None
    every_days: int | None = None
    as_needed: bool | None = None

    def to_data(self) -> ScheduleData:
        return ScheduleData(
            times_of_day=list(self.times_of_day) if self.times_of_day is not None else None,
            days_of_week=[DayOfWeek(d).iso for d in self.days_of_week or []],
            every_hours=self.every_hours,
            every_days=self.every_days,
            as_needed=self.as_needed,
        )


@strawberry.input
class PrescribeInput:
    patient_id: strawberry.ID
    rxcui: str = strawberry.field(
        description="Any catalog concept: ingredient, brand or clinical drug."
    )
    dose: DoseInput
    schedule: ScheduleInput
    start_date: date
    end_date: date | None = strawberry.field(default=None, description="Inclusive.")
    sig: str | None = None
    quantity: float | None = None
    days_supply: int | None = None
    refills: int | None = None
    acknowledge_interactions: bool | None = False
    override_reason: str | None = None


@strawberry.input
class UpdatePrescriptionInput:
    dose: DoseInput | None = strawberry.UNSET
    schedule: ScheduleInput | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    sig: str | None = strawberry.UNSET
    status: PrescriptionStatusEnum | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input
class RecordFillInput:
    prescription_id: strawberry.ID
    filled_on: date
    days_supply: int
    quantity: float | None = None


def status_of(value: object) -> PrescriptionStatus | None:
    if value is None or value is strawberry.UNSET:
        return None
    return PrescriptionStatus(str(value))
