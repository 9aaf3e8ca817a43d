"""When a prescription's supply runs out, and when to ask for a refill."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from prescripcare.prescriptions.models import Prescription


@dataclass(frozen=True)
class Supply:
    filled_on: date
    days_supply: int
    quantity: float | None = None


def daily_amount(p: Prescription) -> float | None:
    """Units taken on an average day by the schedule; None when as needed."""
    if p.as_needed:
        return None
    if p.every_hours:
        per_day = 24 / p.every_hours
    else:
        days_a_week = len(p.days_of_week) or 7
        per_day = len(p.times_of_day) * days_a_week / 7 / (p.every_days or 1)
    return p.dose_quantity * per_day if per_day else None


def runs_out_on(supplies: Sequence[Supply], daily: float | None) -> date | None:
    """The first day without supply: fills chained like refills (each starts
    after the previous runs out); a fill lasts its days' supply, or less when
    its quantity at the scheduled daily amount runs out sooner."""
    end: date | None = None
    for supply in sorted(supplies, key=lambda s: s.filled_on):
        days = supply.days_supply
        if supply.quantity and daily:
            days = min(days, math.floor(supply.quantity / daily))
        start = supply.filled_on if end is None or end < supply.filled_on else end
        end = start + timedelta(days=days)
    return end


def refill_due_on(runs_out: date | None, last_fill: date | None, lead_days: int) -> date | None:
    if runs_out is None or last_fill is None:
        return None
    return max(runs_out - timedelta(days=lead_days), last_fill)
