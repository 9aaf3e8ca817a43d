"""Dose counts per local date: the shape both ways of counting answer."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Literal, NamedTuple

# (patient or prescription id, first local date, last local date)
WindowKey = tuple[uuid.UUID, date, date]
# Which id a window key holds.
KeyColumn = Literal["patient_id", "prescription_id"]


class DayCounts(NamedTuple):
    """One local date's doses. `due` counts each dose once it is due or
    settled (a dose recorded early counts in its own day at once), so
    due = taken + missed + skipped + pending always. A named tuple: a
    patient list builds one for each of some 1,500 rollup rows, and a
    frozen dataclass costs several times as much to build."""

    day: date
    due: int
    taken: int
    missed: int
    skipped: int
    on_time: int

    @property
    def pending(self) -> int:
        """Due and not recorded yet: inside the grace period, or snoozed."""
        return self.due - self.taken - self.missed - self.skipped


def whole_minutes(on_time: timedelta) -> int:
    """The on-time threshold in whole minutes, the unit the rollup keeps
    lateness in (ON_TIME_MINUTES is a whole number of minutes)."""
    minutes, rest = divmod(on_time, timedelta(minutes=1))
    if rest or minutes < 0:
        raise ValueError(f"the on-time threshold must be whole minutes, not {on_time}")
    return int(minutes)


def per_key(
    keys: list[WindowKey], found: dict[uuid.UUID, list[DayCounts]]
) -> list[list[DayCounts]]:
    """Each key's days inside its own window, in date order."""
    return [
        sorted((c for c in found.get(k, []) if first <= c.day <= last), key=lambda c: c.day)
        for k, first, last in keys
    ]
