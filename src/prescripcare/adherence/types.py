"""The `adherence` field of patients and prescriptions."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date

import strawberry

from prescripcare.adherence.loaders import DayCounts, PatientFill
from prescripcare.adherence.service import (
    Adherence,
    BadWindow,
    adherence_of,
    resolve_window,
)
from prescripcare.drugs.loaders import DrugLoaders
from prescripcare.graphql.errors import bad_input


@strawberry.type
class AdherenceDay:
    date: date
    scheduled: int = strawberry.field(
        description="Doses of that local date due by now or already recorded."
    )
    taken: int


@strawberry.type(name="Adherence")
class AdherenceType:
    from_: date = strawberry.field(name="from", description="First local date, inclusive.")
    to: date = strawberry.field(description="Last local date, inclusive.")
    scheduled: int = strawberry.field(
        description="Doses of the window's dates that are due by now or already recorded "
        "(a dose recorded early counts at once, in its own date): always taken + missed + "
        "skipped + pending."
    )
    taken: int
    missed: int
    skipped: int
    pending: int = strawberry.field(
        description="Doses due and not recorded yet: inside their grace period, or snoozed."
    )
    dose_adherence: float | None = strawberry.field(
        description="taken / (taken + missed + skipped); pending doses are not counted yet; "
        "null when nothing is counted."
    )
    on_time_rate: float | None = strawberry.field(
        description="Doses taken within ON_TIME_MINUTES (60) before or after their scheduled "
        "time, not a snooze's end, over the same denominator as doseAdherence; null when "
        "nothing is counted."
    )
    pdc: float | None = strawberry.field(
        description="Proportion of Days Covered by fills (PQA method); null without a fill."
    )
    mpr: float | None = strawberry.field(description="Medication possession ratio.")
    result: strawberry.Private[Adherence]

    @strawberry.field
    def daily(self) -> list[AdherenceDay]:
        # Spelled out only when selected: most reads ask for the sums.
        return [AdherenceDay(date=d, scheduled=s, taken=t) for d, s, t in self.result.daily]

    @classmethod
    def from_result(cls, result: Adherence) -> AdherenceType:
        return cls(
            from_=result.first,
            to=result.last,
            scheduled=result.scheduled,
            taken=result.taken,
            missed=result.missed,
            skipped=result.skipped,
            pending=result.pending,
            dose_adherence=result.dose_adherence,
            on_time_rate=result.on_time_rate,
            pdc=result.pdc,
            mpr=result.mpr,
            result=result,
        )


def window_or_error(
    days: int | None, first: date | None, last: date | None, timezone: str, now: object
) -> tuple[date, date]:
    try:
        return resolve_window(days, first, last, timezone, now)  # type: ignore[arg-type]
    except BadWindow as bad:
        raise bad_input(bad.field, str(bad)) from None


async def adherence_over(
    drugs: DrugLoaders,
    first: date,
    last: date,
    counts: Awaitable[list[DayCounts]],
    fills: Awaitable[list[PatientFill]],
    *,
    by_class: bool,
) -> AdherenceType:
    result = await adherence_of(drugs, first, last, counts, fills, by_class=by_class)
    return AdherenceType.from_result(result)
