"""What each demo patient does with a dose: pure and deterministic.

Every decision is drawn from a generator seeded by the seeding date, the
regimen and the dose's instant, so the same date gives the same clinic
whatever order the replay asks in, and a different date a different one.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from prescripcare.demo.cast import DemoPatient, Pattern


class Act(StrEnum):
    TAKEN = "TAKEN"
    SKIPPED = "SKIPPED"
    MISSED = "MISSED"  # nothing recorded: the worker marks it MISSED


@dataclass(frozen=True)
class Choice:
    act: Act
    # When the patient took the dose (TAKEN), relative to its time.
    offset: timedelta = timedelta(0)
    # How long after taking (or deciding to skip) they recorded it.
    recorded_after: timedelta = timedelta(minutes=1)
    # Snoozed the reminder first, for this many minutes.
    snooze_minutes: int | None = None


def generator(seed: date, *parts: str) -> random.Random:
    text = "|".join([seed.isoformat(), *parts])
    # Reproducible by design: the demo must be the same for the same date.
    return random.Random(hashlib.sha256(text.encode()).digest())  # noqa: S311


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=round(value))


def choose(
    seed: date,
    patient: DemoPatient,
    regimen_key: str,
    due: datetime,
    progress: float,
    supplied: bool,
) -> Choice:
    """The patient's choice for the dose due at `due`; `progress` runs from 0
    at the start of the history to 1 today; `supplied` is False on a day the
    medicine had run out."""
    rng = generator(seed, regimen_key, due.isoformat())
    if not supplied:
        return Choice(Act.MISSED)
    local = due.astimezone(ZoneInfo(patient.timezone))
    roll = rng.random()
    if patient.pattern is Pattern.ADHERENT:
        if roll < 0.015:
            return Choice(Act.MISSED)
        return Choice(Act.TAKEN, _minutes(rng.gauss(4, 6)), _minutes(rng.uniform(0, 3)))
    if patient.pattern is Pattern.SLIPPING:
        # From about 95% on time to about 60%, later and later.
        missed = 0.03 + 0.30 * progress
        skipped = 0.02 + 0.08 * progress
        if roll < missed:
            return Choice(Act.MISSED)
        if roll < missed + skipped:
            return Choice(Act.SKIPPED, recorded_after=_minutes(rng.uniform(5, 60)))
        late = max(-10.0, rng.gauss(10 + 80 * progress, 20 + 30 * progress))
        snooze = 30 if rng.random() < 0.1 + 0.3 * progress else None
        if snooze is not None:
            late = max(late, snooze + rng.uniform(1, 20))
        return Choice(Act.TAKEN, _minutes(late), _minutes(rng.uniform(0, 10)), snooze)
    if patient.pattern is Pattern.WEEKDAYS:
        weekend_evening = local.isoweekday() >= 6 and local.hour >= 17
        if roll < (0.55 if weekend_evening else 0.04):
            return Choice(Act.MISSED)
        return Choice(Act.TAKEN, _minutes(rng.gauss(12, 15)), _minutes(rng.uniform(0, 5)))
    # MOSTLY and REFILL_GAP (outside the gap): a good, ordinary adherence.
    if roll < 0.06:
        return Choice(Act.MISSED)
    if roll < 0.09:
        return Choice(Act.SKIPPED, recorded_after=_minutes(rng.uniform(2, 30)))
    snooze = 15 if rng.random() < 0.08 else None
    late = max(-15.0, rng.gauss(8, 15))
    if snooze is not None:
        late = max(late, snooze + rng.uniform(1, 10))
    return Choice(Act.TAKEN, _minutes(late), _minutes(rng.uniform(0, 4)), snooze)


def receipt(seed: date, patient: DemoPatient, due: datetime, today: date) -> str:
    """Twilio's final status for an SMS reminder: James's phone was
    unreachable all yesterday; elsewhere one in fifty is undelivered."""
    local = due.astimezone(ZoneInfo(patient.timezone)).date()
    if patient.key == "james" and local == today - timedelta(days=1):
        return "undelivered"
    rng = generator(seed, "receipt", patient.key, due.isoformat())
    return "undelivered" if rng.random() < 0.02 else "delivered"
