"""PDC and MPR of many windows, the hot path's way: the same method as
`pdc.py` (its obviously-correct twin, which `tests/adherence/test_pdc_fast.py`
proves equal on generated fill histories), on day ordinals and plain tuples.

A patient list computes PDC per therapeutic class for fifty patients on every
read; `pdc.py` builds a dataclass per fill and does date arithmetic in its
inner loops, which was about a seventh of the request. Here a fill is
`(ordinal, days_supply, ingredients, ingredients in sorted order)`, the
per-drug parts built once per drug, not once per fill and class.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# (local date as an ordinal, days' supply, ingredients, sorted(ingredients))
Fill = tuple[int, int, frozenset[str], tuple[str, ...]]


def _order(fill: Fill) -> tuple[int, tuple[str, ...]]:
    return fill[0], fill[3]


def coverage(fills: list[Fill], first: int, last: int) -> tuple[float, float] | None:
    """(PDC, MPR) over the ordinals first..last, or None when no fill touches
    the period: `pdc.coverage`, step for step."""
    placed: list[tuple[int, int, frozenset[str], int, int]] = []
    for filled, supply, ingredients, _ in sorted(fills, key=_order):
        start = filled
        for _, _, earlier, _, end in placed:
            if end >= start and earlier & ingredients:
                start = end + 1
        placed.append((filled, supply, ingredients, start, start + supply - 1))
    begin = None
    for filled, _, _, start, end in placed:
        if first <= filled <= last or (filled < first and start < first <= end):
            candidate = filled if filled >= first else first
            if begin is None or candidate < begin:
                begin = candidate
    if begin is None:
        return None
    days = last - begin + 1
    supply_total = 0
    spans = []
    for filled, supply, _, start, end in placed:
        if begin <= filled <= last:
            supply_total += supply
        low = start if start > begin else begin
        high = end if end < last else last
        if low <= high:
            spans.append((low, high))
    return _covered(spans) / days, supply_total / days


def _covered(spans: list[tuple[int, int]]) -> int:
    """Days in the union of inclusive spans."""
    spans.sort()
    covered = 0
    current_start = current_end = None
    for start, end in spans:
        if current_end is not None and start <= current_end + 1:
            if end > current_end:
                current_end = end
            continue
        if current_end is not None and current_start is not None:
            covered += current_end - current_start + 1
        current_start, current_end = start, end
    if current_end is not None and current_start is not None:
        covered += current_end - current_start + 1
    return covered


def mean_of_classes(
    groups: Iterable[list[Fill]], first: int, last: int
) -> tuple[float | None, float | None]:
    """`pdc.mean_of_classes`: the means over the classes with coverage."""
    pdcs = []
    mprs = []
    for fills in groups:
        found = coverage(fills, first, last)
        if found is not None:
            pdcs.append(found[0])
            mprs.append(found[1])
    if not pdcs:
        return None, None
    # Exactly rounded, as `pdc.mean_of_classes`: independent of class order.
    return math.fsum(pdcs) / len(pdcs), math.fsum(mprs) / len(mprs)
