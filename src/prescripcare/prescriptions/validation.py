"""Checking a prescription's dose, dates and schedule before anything is
written. Every problem names the input field at fault."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from prescripcare.doses.schedule import Schedule
from prescripcare.errors import Problems

MAX_TIMES_PER_DAY = 24
MAX_TEXT = 1000


@dataclass
class ScheduleData:
    times_of_day: list[time] | None = None
    days_of_week: list[int] | None = None
    every_hours: int | None = None
    every_days: int | None = None
    as_needed: bool | None = None


def check_schedule(data: ScheduleData, problems: Problems, where: str) -> Schedule:
    times = data.times_of_day
    # An empty list is what a form's empty multi-select sends: with asNeeded
    # it means no fixed times; without, the rule below asks for times.
    if times:
        if len(set(times)) != len(times):
            problems.invalid(f"{where}.timesOfDay", "A time of day appears twice.")
        elif len(times) > MAX_TIMES_PER_DAY:
            problems.invalid(f"{where}.timesOfDay", f"At most {MAX_TIMES_PER_DAY} times a day.")
    if data.every_hours is not None and not 1 <= data.every_hours <= 24:
        problems.invalid(f"{where}.everyHours", "everyHours must be between 1 and 24.")
    if data.every_days is not None and not 1 <= data.every_days <= 365:
        problems.invalid(f"{where}.everyDays", "everyDays must be between 1 and 365.")
    as_needed = bool(data.as_needed)
    if not as_needed:
        if not times and data.every_hours is None and not problems.has(f"{where}.timesOfDay"):
            problems.invalid(
                f"{where}.timesOfDay",
                "A schedule needs timesOfDay or everyHours, or asNeeded for no fixed times.",
            )
        if data.every_hours is not None and (data.days_of_week or data.every_days):
            problems.invalid(
                f"{where}.everyHours",
                "everyHours counts elapsed hours; it cannot be combined with daysOfWeek or "
                "everyDays.",
            )
        if data.every_hours is not None and times and len(times) > 1:
            problems.invalid(
                f"{where}.timesOfDay",
                "With everyHours give at most one time of day: the first dose.",
            )
    return Schedule(
        times_of_day=tuple(sorted(set(times or []))),
        days_of_week=frozenset(data.days_of_week or []),
        every_hours=data.every_hours,
        every_days=data.every_days,
        as_needed=as_needed,
    )


def check_dose(quantity: float, unit: str, problems: Problems, where: str) -> str:
    if not quantity > 0 or quantity > 100_000:
        problems.invalid(f"{where}.quantity", "Dose quantity must be a positive amount.")
    clean = " ".join(unit.split())
    if not clean or len(clean) > 50:
        problems.invalid(f"{where}.unit", "Dose unit must be 1 to 50 characters.")
    return clean


def check_dates(start: date, end: date | None, problems: Problems, where: str) -> None:
    if end is not None and end < start:
        problems.invalid(f"{where}.endDate", "The end date is before the start date.")
    if start.year < 1900 or (end is not None and end.year > 2200):
        problems.invalid(f"{where}.startDate", "Dates must be between 1900 and 2200.")


def check_text(value: str | None, problems: Problems, field: str) -> str | None:
    if value is None:
        return None
    clean = value.strip()
    if len(clean) > MAX_TEXT:
        problems.invalid(field, f"At most {MAX_TEXT} characters.")
    return clean or None


def check_supply(
    quantity: float | None,
    days_supply: int | None,
    refills: int | None,
    problems: Problems,
    where: str,
) -> None:
    if quantity is not None and not 0 < quantity <= 100_000:
        problems.invalid(f"{where}.quantity", "Quantity must be a positive amount.")
    if days_supply is not None and not 1 <= days_supply <= 365:
        problems.invalid(f"{where}.daysSupply", "Days' supply must be between 1 and 365.")
    if refills is not None and not 0 <= refills <= 99:
        problems.invalid(f"{where}.refills", "Refills must be between 0 and 99.")
