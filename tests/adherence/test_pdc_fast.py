"""The hot path's PDC (`adherence/pdc_fast.py`, through `service._coverage`)
gives exactly the figures of its obviously-correct twin (`pdc.py`, through
`service.coverage_twin`) on generated fill histories, and a planted defect in
the fast path is caught."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prescripcare.adherence import pdc_fast, service
from prescripcare.adherence.loaders import PatientFill

FIRST, LAST = date(2026, 1, 1), date(2026, 3, 31)
DRUGS = ["d1", "d2", "d3", "d4", "d5"]
INGREDIENTS = ["a", "b", "c"]
CLASSES = ["C09", "C10", "A10"]

Case = tuple[
    list[PatientFill], dict[str, frozenset[str]], dict[str, frozenset[str]], date, date, bool
]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    ingredients = {
        d: frozenset(draw(st.lists(st.sampled_from(INGREDIENTS), min_size=1, max_size=2)))
        for d in DRUGS
    }
    classes = {
        d: frozenset(draw(st.lists(st.sampled_from(CLASSES), min_size=1, max_size=2)))
        for d in DRUGS
    }
    fills = [
        PatientFill(
            None,  # type: ignore[arg-type]
            draw(st.sampled_from(DRUGS)),
            FIRST + timedelta(days=draw(st.integers(-120, 100))),
            draw(st.sampled_from([1, 7, 30, 30, 90])),
        )
        for _ in range(draw(st.integers(0, 10)))
    ]
    first = FIRST + timedelta(days=draw(st.integers(0, 30)))
    last = first + timedelta(days=draw(st.integers(0, 89)))
    return fills, ingredients, classes, first, last, draw(st.booleans())


def _fast(case: Case) -> tuple[float | None, float | None]:
    fills, ingredients, classes, first, last, by_class = case
    facts = service.drug_facts(ingredients, classes)
    return service._coverage(fills, first, last, facts, by_class=by_class)


def _twin(case: Case) -> tuple[float | None, float | None]:
    fills, ingredients, classes, first, last, by_class = case
    return service.coverage_twin(fills, first, last, ingredients, classes, by_class=by_class)


@settings(max_examples=400, deadline=None)
@given(cases())
def test_fast_pdc_equals_its_twin(case: Case) -> None:
    assert _fast(case) == _twin(case)  # exactly: the same sums in the same order


def _random_cases(count: int) -> list[Case]:
    rng = random.Random(13)
    out = []
    for _ in range(count):
        ingredients = {d: frozenset(rng.sample(INGREDIENTS, rng.randint(1, 2))) for d in DRUGS}
        classes = {d: frozenset(rng.sample(CLASSES, rng.randint(1, 2))) for d in DRUGS}
        fills = [
            PatientFill(
                None,  # type: ignore[arg-type]
                rng.choice(DRUGS),
                FIRST + timedelta(days=rng.randint(-120, 100)),
                rng.choice([7, 30, 90]),
            )
            for _ in range(rng.randint(0, 10))
        ]
        out.append((fills, ingredients, classes, FIRST, LAST, rng.random() < 0.7))
    return out


def test_a_planted_defect_in_the_fast_pdc_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    cases_ = _random_cases(300)
    assert all(_fast(c) == _twin(c) for c in cases_)

    def overlapping_counted_twice(spans: list[tuple[int, int]]) -> int:
        return sum(end - start + 1 for start, end in spans)

    monkeypatch.setattr(pdc_fast, "_covered", overlapping_counted_twice)
    assert any(_fast(c) != _twin(c) for c in cases_)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 120), st.sampled_from([1, 7, 30, 90])), min_size=1, max_size=4
        ),
        min_size=2,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_the_mean_over_classes_does_not_depend_on_their_order(
    groups: list[list[tuple[int, int]]], shuffle: random.Random
) -> None:
    """Classes come from sets, whose order differs between processes (and
    between two equal sets): a patient's PDC must not change with it, nor
    differ between the fast path and its twin by a rounding of the sum."""
    first, last = FIRST.toordinal(), FIRST.toordinal() + 89
    fills: list[list[pdc_fast.Fill]] = [
        [(first + day, supply, frozenset({f"i{n}"}), (f"i{n}",)) for day, supply in group]
        for n, group in enumerate(groups)
    ]
    reordered = list(fills)
    shuffle.shuffle(reordered)
    assert pdc_fast.mean_of_classes(fills, first, last) == pdc_fast.mean_of_classes(
        reordered, first, last
    )
