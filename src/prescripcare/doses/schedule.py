"""When doses fall due: a schedule, in the patient's time zone, turned into UTC
instants. Pure functions; nothing here reads the clock or the database.

Rules (contract README, "Doses"):
- `times_of_day` are wall-clock times: 08:00 stays 08:00 local across daylight
  saving changes.
- A local time that does not exist that day (spring-forward gap) moves to the
  first instant after the gap; an ambiguous one (fall-back) happens once, at
  its first occurrence.
- `every_hours` counts elapsed hours from the first dose, so q8h stays eight
  hours apart across a change.
- `days_of_week` empty means every day; `every_days` counts from the start
  date; `end_date` is inclusive; `as_needed` schedules no dose.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    times_of_day: tuple[time, ...] = ()
    days_of_week: frozenset[int] = field(default_factory=frozenset)  # ISO: Monday = 1
    every_hours: int | None = None
    every_days: int | None = None
    as_needed: bool = False


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date, resolving gaps to
    the first instant after them and folds to the first occurrence."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == naive:
        return utc  # exists (fold=0 is the first occurrence when ambiguous)
    # A gap: the wall time was skipped. Both interpretations bracket the
    # transition; find its exact instant (to the minute, as zones change).
    later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(utc, later), max(utc, later)
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        middle = middle.replace(second=0, microsecond=0)
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


def _days(start: date, end: date | None, from_day: date, to_day: date) -> Iterator[date]:
    day = max(start, from_day)
    last = min(end, to_day) if end is not None else to_day
    while day <= last:
        yield day
        day += timedelta(days=1)


def occurrences(
    schedule: Schedule,
    zone: ZoneInfo,
    start: date,
    end: date | None,
    window_start: datetime,
    window_end: datetime,
) -> list[datetime]:
    """Dose instants (UTC) with window_start <= instant < window_end."""
    if schedule.as_needed:
        return []
    if schedule.every_hours:
        return _every_hours(schedule, zone, start, end, window_start, window_end)
    # Local dates that can hold an instant of the window, with a day's margin
    # for the widest UTC offsets.
    from_day = window_start.astimezone(zone).date() - timedelta(days=1)
    to_day = window_end.astimezone(zone).date() + timedelta(days=1)
    found: list[datetime] = []
    for day in _days(start, end, from_day, to_day):
        if schedule.days_of_week and day.isoweekday() not in schedule.days_of_week:
            continue
        if schedule.every_days and (day - start).days % schedule.every_days:
            continue
        for at in schedule.times_of_day:
            instant = local_instant(day, at, zone)
            if window_start <= instant < window_end:
                found.append(instant)
    return sorted(set(found))


def _every_hours(
    schedule: Schedule,
    zone: ZoneInfo,
    start: date,
    end: date | None,
    window_start: datetime,
    window_end: datetime,
) -> list[datetime]:
    assert schedule.every_hours
    step = timedelta(hours=schedule.every_hours)
    first_time = min(schedule.times_of_day) if schedule.times_of_day else time(0, 0)
    anchor = local_instant(start, first_time, zone)
    last = local_instant(end + timedelta(days=1), time(0, 0), zone) if end is not None else None
    # Jump straight to the first step at or after the window.
    skip = max(0, (window_start - anchor) // step)
    instant = anchor + step * skip
    found = []
    while instant < window_end and (last is None or instant < last):
        if instant >= window_start:
            found.append(instant)
        instant += step
    return found
