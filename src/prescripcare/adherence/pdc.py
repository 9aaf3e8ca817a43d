"""Proportion of Days Covered (PQA method) and MPR, as pure functions.

- A fill covers `days_supply` consecutive days from its fill date.
- A refill sharing an ingredient with an earlier fill (a combination product
  counts as its ingredients) starts the day after that supply ends.
- Different drugs of a class are concurrent: a day on hand twice counts once.
- The treatment period runs from the first fill in the window (or the window's
  start when an earlier fill's supply reaches into it) to the window's end;
  coverage past its end is dropped, so PDC never exceeds 1.
- MPR = days' supply of the fills dated in the period / days in the period,
  which early refills can push above 1.
tests/adherence/test_adherence.py replays the worked cases (docs/adherence.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class FillFact:
    filled_on: date
    days_supply: int
    ingredients: frozenset[str]


@dataclass(frozen=True)
class Coverage:
    pdc: float
    mpr: float
    days: int
    covered: int


def _intervals(fills: Sequence[FillFact]) -> list[tuple[FillFact, date, date]]:
    """Each fill with its (shifted) first and last covered day."""
    placed: list[tuple[FillFact, date, date]] = []
    for fill in sorted(fills, key=lambda f: (f.filled_on, sorted(f.ingredients))):
        start = fill.filled_on
        for earlier, _, end in placed:
            if earlier.ingredients & fill.ingredients and end >= start:
                start = end + timedelta(days=1)
        placed.append((fill, start, start + timedelta(days=fill.days_supply - 1)))
    return placed


def coverage(fills: Iterable[FillFact], first: date, last: date) -> Coverage | None:
    """PDC and MPR over the local dates first..last (inclusive); None when no
    fill touches the period."""
    placed = _intervals(list(fills))
    starts = [f.filled_on for f, _, _ in placed if first <= f.filled_on <= last]
    if any(start < first <= end for f, start, end in placed if f.filled_on < first):
        starts.append(first)
    if not starts:
        return None
    begin = min(starts)
    days = (last - begin).days + 1
    supply = sum(f.days_supply for f, _, _ in placed if begin <= f.filled_on <= last)
    covered = _covered_days(
        (max(start, begin).toordinal(), min(end, last).toordinal()) for _, start, end in placed
    )
    return Coverage(pdc=covered / days, mpr=supply / days, days=days, covered=covered)


def _covered_days(spans: Iterable[tuple[int, int]]) -> int:
    """Days in the union of inclusive day spans: a day on hand twice counts
    once. Merging sorted spans keeps a patient list of fifty patients from
    walking every covered day of every fill."""
    covered = 0
    current: tuple[int, int] | None = None
    for start, end in sorted(s for s in spans if s[0] <= s[1]):
        if current is not None and start <= current[1] + 1:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            covered += current[1] - current[0] + 1
        current = (start, end)
    if current is not None:
        covered += current[1] - current[0] + 1
    return covered


def mean_of_classes(
    fills_by_class: dict[str, list[FillFact]], first: date, last: date
) -> tuple[float | None, float | None]:
    """A patient's PDC (and MPR): the mean over therapeutic classes that have
    coverage in the period."""
    results = [c for c in (coverage(f, first, last) for f in fills_by_class.values()) if c]
    if not results:
        return None, None
    # fsum: exactly rounded, so the mean does not depend on the order the
    # classes come in (a set's order, which differs between processes).
    return (
        math.fsum(c.pdc for c in results) / len(results),
        math.fsum(c.mpr for c in results) / len(results),
    )
