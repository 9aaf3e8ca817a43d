"""The application's one source of "now".

Every rule that depends on time (token expiry, dose materialization, missed
doses) asks this clock rather than the system or SQL `now()`, so tests can move
time to just before a daylight-saving change and see what a patient would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock(Clock):
    """A clock that stands still until told to move (tests, simulations)."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a clock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta
