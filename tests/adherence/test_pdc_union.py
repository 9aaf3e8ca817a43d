"""Covered days are the union of the fills' supplies, counted without walking
every day: the same figures as counting day by day, on random fill histories."""

from __future__ import annotations

import random
from datetime import date, timedelta

from prescripcare.adherence.pdc import FillFact, _intervals, coverage


def _day_by_day(fills: list[FillFact], first: date, last: date) -> int | None:
    placed = _intervals(fills)
    starts = [f.filled_on for f, _, _ in placed if first <= f.filled_on <= last]
    if any(start < first <= end for f, start, end in placed if f.filled_on < first):
        starts.append(first)
    if not starts:
        return None
    begin = min(starts)
    days = set()
    for _, start, end in placed:
        day = max(start, begin)
        while day <= min(end, last):
            days.add(day)
            day += timedelta(days=1)
    return len(days)


def test_union_of_supplies_matches_counting_day_by_day() -> None:
    rng = random.Random(9)
    first, last = date(2026, 1, 1), date(2026, 3, 31)
    for _ in range(300):
        fills = [
            FillFact(
                first + timedelta(days=rng.randint(-60, 95)),
                rng.choice([7, 30, 30, 90]),
                frozenset(rng.sample(["a", "b", "c"], rng.randint(1, 2))),
            )
            for _ in range(rng.randint(0, 8))
        ]
        found = coverage(fills, first, last)
        expected = _day_by_day(fills, first, last)
        assert (found.covered if found else None) == expected, fills
