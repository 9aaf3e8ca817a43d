"""Adherence over a window of the patient's local dates."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from prescripcare.adherence import pdc_fast
from prescripcare.adherence.loaders import DayCounts, PatientFill
from prescripcare.adherence.pdc import FillFact, coverage, mean_of_classes
from prescripcare.drugs.loaders import DrugLoaders

MAX_WINDOW_DAYS = 3650


class BadWindow(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def resolve_window(
    days: int | None, first: date | None, last: date | None, timezone: str, now: datetime
) -> tuple[date, date]:
    """`days: N` is the last N local dates, today included; `from`/`to` are
    local dates, inclusive. Exactly one form."""
    if (days is None) == (first is None and last is None):
        raise BadWindow("days", "Give either `days` or `from` and `to`, not both or neither.")
    if days is not None:
        if not 1 <= days <= MAX_WINDOW_DAYS:
            raise BadWindow("days", f"`days` must be between 1 and {MAX_WINDOW_DAYS}.")
        today = now.astimezone(ZoneInfo(timezone)).date()
        return today - timedelta(days=days - 1), today
    if first is None or last is None:
        raise BadWindow("from" if first is None else "to", "Give both `from` and `to`.")
    if last < first:
        raise BadWindow("to", "`to` is before `from`.")
    if (last - first).days + 1 > MAX_WINDOW_DAYS:
        raise BadWindow("to", f"A window is at most {MAX_WINDOW_DAYS} days.")
    return first, last


@dataclass
class Adherence:
    first: date
    last: date
    scheduled: int = 0
    taken: int = 0
    missed: int = 0
    skipped: int = 0
    on_time: int = 0
    pdc: float | None = None
    mpr: float | None = None
    # The window's day counts as read; `daily` spells them out per date only
    # when asked (a patient list asks for the sums alone).
    counts: list[DayCounts] = field(default_factory=list, repr=False)

    @property
    def daily(self) -> list[tuple[date, int, int]]:
        """(local date, scheduled, taken) of every date of the window."""
        by_day = {c.day: c for c in self.counts}
        out = []
        day = self.first
        while day <= self.last:
            c = by_day.get(day)
            out.append((day, c.due if c else 0, c.taken if c else 0))
            day += timedelta(days=1)
        return out

    @property
    def settled(self) -> int:
        return self.taken + self.missed + self.skipped

    @property
    def pending(self) -> int:
        """Due and not recorded yet (grace period, snoozed): scheduled =
        taken + missed + skipped + pending."""
        return self.scheduled - self.settled

    @property
    def dose_adherence(self) -> float | None:
        """taken / settled: a pending dose is not judged yet."""
        return self.taken / self.settled if self.settled else None

    @property
    def on_time_rate(self) -> float | None:
        """Taken within ON_TIME_MINUTES either side of the scheduled time
        (not of a snooze's end), over the same denominator."""
        return self.on_time / self.settled if self.settled else None


def from_counts(first: date, last: date, counts: list[DayCounts]) -> Adherence:
    result = Adherence(first=first, last=last, counts=counts)
    for c in counts:
        result.scheduled += c.due
        result.taken += c.taken
        result.missed += c.missed
        result.skipped += c.skipped
        result.on_time += c.on_time
    return result


class Catalog(Protocol):
    """The two drug-catalog facts PDC needs, for many drugs at once."""

    async def ingredients(self, rxcuis: list[str]) -> dict[str, list[str]]:
        """The ingredient RxCUIs of each drug (none when the catalog has none)."""

    async def atc_codes(self, rxcuis: list[str]) -> dict[str, list[str]]:
        """The ATC codes of each ingredient (none when it has none)."""


@dataclass(frozen=True)
class LoaderCatalog:
    """The catalog through the request's drug loaders (resolvers, reports)."""

    drugs: DrugLoaders

    async def ingredients(self, rxcuis: list[str]) -> dict[str, list[str]]:
        lists = await self.drugs.ingredients.load_many(rxcuis)
        return {r: [i.rxcui for i in found] for r, found in zip(rxcuis, lists, strict=True)}

    async def atc_codes(self, rxcuis: list[str]) -> dict[str, list[str]]:
        lists = await self.drugs.atc_codes.load_many(rxcuis)
        return dict(zip(rxcuis, lists, strict=True))


def _catalog(drugs: DrugLoaders | Catalog) -> Catalog:
    return LoaderCatalog(drugs) if isinstance(drugs, DrugLoaders) else drugs


async def _ingredients(catalog: Catalog, rxcuis: set[str]) -> dict[str, frozenset[str]]:
    found = await catalog.ingredients(sorted(rxcuis))
    return {r: frozenset(found[r]) or frozenset({r}) for r in rxcuis}


async def therapeutic_classes(
    drugs: DrugLoaders | Catalog, ingredients: dict[str, frozenset[str]]
) -> dict[str, frozenset[str]]:
    """ATC level 2 of each drug: the classes all its ingredients share (a
    lisinopril / hydrochlorothiazide product is C09), else every class of its
    ingredients; a drug without an ATC code is its own class."""
    every = sorted({i for group in ingredients.values() for i in group})
    codes = await _catalog(drugs).atc_codes(every)
    classes = {}
    for rxcui, group in ingredients.items():
        levels = [{code[:3] for code in codes[i]} for i in group]
        shared = set.intersection(*levels) if levels else set()
        chosen = shared or set().union(*levels)
        classes[rxcui] = frozenset(chosen) or frozenset({rxcui})
    return classes


async def fill_coverage(
    drugs: DrugLoaders | Catalog,
    fills: list[PatientFill],
    first: date,
    last: date,
    *,
    by_class: bool,
) -> tuple[float | None, float | None]:
    return (await fill_coverage_many(drugs, [(fills, first, last)], by_class=by_class))[0]


async def fill_coverage_many(
    drugs: DrugLoaders | Catalog,
    windows: Sequence[tuple[list[PatientFill], date, date]],
    *,
    by_class: bool,
) -> list[tuple[float | None, float | None]]:
    """PDC and MPR of many (fills, first, last) windows at once: the drugs'
    ingredients and classes are looked up once for all of them."""
    rxcuis = {f.rxcui for fills, _, _ in windows for f in fills}
    if not rxcuis:
        return [(None, None)] * len(windows)
    catalog = _catalog(drugs)
    ingredients = await _ingredients(catalog, rxcuis)
    classes = await therapeutic_classes(catalog, ingredients) if by_class else {}
    facts = drug_facts(ingredients, classes)
    return [
        _coverage(fills, first, last, facts, by_class=by_class) for fills, first, last in windows
    ]


@dataclass(frozen=True)
class DrugFacts:
    """What PDC needs of one drug, built once per drug for all windows."""

    ingredients: frozenset[str]
    order: tuple[str, ...]  # the ingredients sorted: the twin's tie-break
    classes: frozenset[str]


def drug_facts(
    ingredients: dict[str, frozenset[str]], classes: dict[str, frozenset[str]]
) -> dict[str, DrugFacts]:
    return {
        r: DrugFacts(group, tuple(sorted(group)), classes.get(r, frozenset()))
        for r, group in ingredients.items()
    }


def _coverage(
    fills: list[PatientFill],
    first: date,
    last: date,
    facts: dict[str, DrugFacts],
    *,
    by_class: bool,
) -> tuple[float | None, float | None]:
    """PDC and MPR of one window through `pdc_fast`; `coverage_twin` is the
    same through `pdc.py`."""
    if not fills:
        return None, None
    low, high = first.toordinal(), last.toordinal()
    if not by_class:
        found = pdc_fast.coverage(
            [
                (
                    f.filled_on.toordinal(),
                    f.days_supply,
                    facts[f.rxcui].ingredients,
                    facts[f.rxcui].order,
                )
                for f in fills
            ],
            low,
            high,
        )
        return found if found is not None else (None, None)
    grouped: dict[str, list[pdc_fast.Fill]] = {}
    for f in fills:
        drug = facts[f.rxcui]
        fact = (f.filled_on.toordinal(), f.days_supply, drug.ingredients, drug.order)
        for cls in drug.classes:
            grouped.setdefault(cls, []).append(fact)
    return pdc_fast.mean_of_classes(grouped.values(), low, high)


def coverage_twin(
    fills: list[PatientFill],
    first: date,
    last: date,
    ingredients: dict[str, frozenset[str]],
    classes: dict[str, frozenset[str]],
    *,
    by_class: bool,
) -> tuple[float | None, float | None]:
    """`_coverage`, obviously correct: through `pdc.py`, dates and dataclasses."""
    if not fills:
        return None, None
    facts = [(f, FillFact(f.filled_on, f.days_supply, ingredients[f.rxcui])) for f in fills]
    if not by_class:
        found = coverage([fact for _, fact in facts], first, last)
        return (found.pdc, found.mpr) if found else (None, None)
    grouped: dict[str, list[FillFact]] = {}
    for fill, fact in facts:
        for cls in classes[fill.rxcui]:
            grouped.setdefault(cls, []).append(fact)
    return mean_of_classes(grouped, first, last)


async def adherence_of(
    drugs: DrugLoaders,
    first: date,
    last: date,
    counts: Awaitable[list[DayCounts]],
    fills: Awaitable[list[PatientFill]],
    *,
    by_class: bool,
) -> Adherence:
    """The figures of one window, from its day counts and fills (both loaded
    in batches by the caller's loaders): what the GraphQL `adherence` field
    answers and the adherence report prints."""
    day_counts, fill_list = await asyncio.gather(counts, fills)
    result = from_counts(first, last, day_counts)
    result.pdc, result.mpr = await fill_coverage(drugs, fill_list, first, last, by_class=by_class)
    return result
