"""Days of the week as the contract names them, and their ISO numbers."""

from __future__ import annotations

from enum import StrEnum


class DayOfWeek(StrEnum):
    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"

    @property
    def iso(self) -> int:
        return _ORDER.index(self) + 1

    @classmethod
    def from_iso(cls, number: int) -> DayOfWeek:
        # Indexed like the list it replaces (every prescription of a patient
        # list asks, for each of its days).
        return _ORDER[number - 1]


_ORDER: tuple[DayOfWeek, ...] = tuple(DayOfWeek)
