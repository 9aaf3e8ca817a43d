"""The demo clinic's pure parts: the same date gives the same choices, the
fills leave the gaps the cast describes, and the every-8-hours course always
puts a dose within the hour of seeding, daylight-saving changes included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prescripcare.demo.behaviour import Act, choose
from prescripcare.demo.cast import CLINIC, MARIA, Pattern
from prescripcare.demo.replay import Timeline, supplied
from prescripcare.demo.seed import DUE_SOON, _due_soon_time, _end_date, _start_date
from prescripcare.doses.schedule import Schedule, occurrences

DUE = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_the_same_date_gives_the_same_history_and_another_date_another() -> None:
    for patient in CLINIC:
        for regimen in patient.regimens:
            instants = [DUE + timedelta(hours=h) for h in range(0, 24 * 20, 7)]
            once = [
                choose(date(2026, 3, 2), patient, regimen.key, at, 0.5, True) for at in instants
            ]
            again = [
                choose(date(2026, 3, 2), patient, regimen.key, at, 0.5, True) for at in instants
            ]
            other = [
                choose(date(2026, 3, 3), patient, regimen.key, at, 0.5, True) for at in instants
            ]
            assert once == again
            assert once != other, regimen.key


def test_the_patterns_differ_as_the_cast_says() -> None:
    def taken(pattern: Pattern, progress: float) -> float:
        patient = next(p for p in CLINIC if p.pattern is pattern)
        instants = [DUE + timedelta(hours=h) for h in range(0, 2000, 5)]
        acts = [choose(date(2026, 3, 2), patient, "k", at, progress, True).act for at in instants]
        return acts.count(Act.TAKEN) / len(acts)

    assert taken(Pattern.ADHERENT, 1.0) > 0.95
    assert taken(Pattern.SLIPPING, 0.0) > taken(Pattern.SLIPPING, 1.0) + 0.25
    assert choose(date(2026, 3, 2), MARIA, "k", DUE, 0.5, supplied=False).act is Act.MISSED


def test_james_runs_out_of_lisinopril_where_the_cast_says() -> None:
    lisinopril = next(r for p in CLINIC for r in p.regimens if r.key == "james-lisinopril")
    gaps = [day for day in range(91) if not supplied(lisinopril, day)]
    assert gaps == [*range(30, 35), *range(65, 77)]
    metformin = next(r for p in CLINIC for r in p.regimens if r.key == "james-metformin")
    assert all(supplied(metformin, day) for day in range(91))


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 2, 9, 7, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 59, tzinfo=UTC),  # Chicago springs forward that night
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # and falls back
        datetime(2026, 6, 30, 23, 58, tzinfo=UTC),
    ],
)
def test_a_dose_of_the_course_falls_due_within_the_hour(now: datetime) -> None:
    course = next(r for r in MARIA.regimens if r.due_soon)
    timeline = Timeline.ending(now)
    first = _due_soon_time(timeline, MARIA, course)
    schedule = Schedule(times_of_day=(first,), every_hours=course.every_hours)
    low, high = DUE_SOON
    zone = ZoneInfo(MARIA.timezone)
    start, end = _start_date(timeline, MARIA, course), _end_date(timeline, MARIA, course)
    assert occurrences(schedule, zone, start, end, now + low, now + high)
