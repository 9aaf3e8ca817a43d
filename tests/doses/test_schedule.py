"""Dose times from schedules: daylight saving, odd offsets, weekly and
every-other-day schedules, q8h. Pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from prescripcare.doses.schedule import Schedule, local_instant, occurrences

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local_times(instants: list[datetime], zone: ZoneInfo) -> list[str]:
    return [i.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for i in instants]


def daily(at: str, zone: ZoneInfo, first: date, days: int) -> list[datetime]:
    hour, minute = map(int, at.split(":"))
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    return occurrences(
        Schedule(times_of_day=(time(hour, minute),)),
        zone,
        first,
        None,
        start,
        start + timedelta(days=days),
    )


@pytest.mark.parametrize(
    ("zone", "first", "expected"),
    [
        (
            NY,
            date(2026, 3, 7),
            ["2026-03-07 08:00 EST", "2026-03-08 08:00 EDT", "2026-03-09 08:00 EDT"],
        ),
        (
            NY,
            date(2026, 10, 31),
            ["2026-10-31 08:00 EDT", "2026-11-01 08:00 EST", "2026-11-02 08:00 EST"],
        ),
        (
            LONDON,
            date(2026, 3, 28),
            ["2026-03-28 08:00 GMT", "2026-03-29 08:00 BST", "2026-03-30 08:00 BST"],
        ),
        (
            LONDON,
            date(2026, 10, 24),
            ["2026-10-24 08:00 BST", "2026-10-25 08:00 GMT", "2026-10-26 08:00 GMT"],
        ),
    ],
)
def test_eight_oclock_stays_eight_oclock_across_both_changes(
    zone: ZoneInfo, first: date, expected: list[str]
) -> None:
    assert local_times(daily("08:00", zone, first, 3), zone) == expected


def test_the_utc_gap_between_two_eight_oclocks_is_23_or_25_hours() -> None:
    spring = daily("08:00", NY, date(2026, 3, 7), 2)
    autumn = daily("08:00", NY, date(2026, 10, 31), 2)
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_local", "expected_utc"),
    [
        # Spring forward: 02:30 does not exist; the dose moves to 03:00.
        (NY, date(2026, 3, 8), time(2, 30), "2026-03-08 03:00 EDT", utc(2026, 3, 8, 7, 0)),
        (LONDON, date(2026, 3, 29), time(1, 15), "2026-03-29 02:00 BST", utc(2026, 3, 29, 1, 0)),
        # Lord Howe moves 30 minutes: 02:00-02:30 does not exist.
        (
            LORD_HOWE,
            date(2026, 10, 4),
            time(2, 15),
            "2026-10-04 02:30 +11",
            utc(2026, 10, 3, 15, 30),
        ),
        # Fall back: 01:30 happens twice; the dose is at the first.
        (NY, date(2026, 11, 1), time(1, 30), "2026-11-01 01:30 EDT", utc(2026, 11, 1, 5, 30)),
        (LONDON, date(2026, 10, 25), time(1, 30), "2026-10-25 01:30 BST", utc(2026, 10, 25, 0, 30)),
        (LORD_HOWE, date(2026, 4, 5), time(1, 45), "2026-04-05 01:45 +11", utc(2026, 4, 4, 14, 45)),
        # Half-hour offset, no daylight saving.
        (KOLKATA, date(2026, 3, 8), time(8, 0), "2026-03-08 08:00 IST", utc(2026, 3, 8, 2, 30)),
    ],
)
def test_gaps_and_folds(
    zone: ZoneInfo, day: date, at: time, expected_local: str, expected_utc: datetime
) -> None:
    instant = local_instant(day, at, zone)
    assert instant == expected_utc
    assert local_times([instant], zone) == [expected_local]


def test_an_ambiguous_time_happens_once() -> None:
    doses = daily("01:30", NY, date(2026, 10, 31), 3)
    assert local_times(doses, NY) == [
        "2026-10-31 01:30 EDT",
        "2026-11-01 01:30 EDT",
        "2026-11-02 01:30 EST",
    ]


def test_lord_howe_every_day_across_its_half_hour_change() -> None:
    doses = daily("02:15", LORD_HOWE, date(2026, 10, 3), 3)
    assert local_times(doses, LORD_HOWE) == [
        "2026-10-03 02:15 +1030",
        "2026-10-04 02:30 +11",
        "2026-10-05 02:15 +11",
    ]


def test_q8h_counts_elapsed_hours_across_a_change() -> None:
    schedule = Schedule(every_hours=8, times_of_day=(time(6, 0),))
    doses = occurrences(schedule, NY, date(2026, 3, 7), None, utc(2026, 3, 7), utc(2026, 3, 10))
    assert all(b - a == timedelta(hours=8) for a, b in pairwise(doses))
    assert local_times(doses, NY)[:5] == [
        "2026-03-07 06:00 EST",
        "2026-03-07 14:00 EST",
        "2026-03-07 22:00 EST",
        "2026-03-08 07:00 EDT",
        "2026-03-08 15:00 EDT",
    ]


def test_weekly_and_every_other_day() -> None:
    start = date(2026, 1, 5)  # a Monday
    window = (utc(2026, 1, 5), utc(2026, 1, 26))
    weekly = occurrences(
        Schedule(times_of_day=(time(9, 0),), days_of_week=frozenset({1, 4})),
        LONDON,
        start,
        None,
        *window,
    )
    assert [d.strftime("%a %d") for d in weekly] == [
        "Mon 05",
        "Thu 08",
        "Mon 12",
        "Thu 15",
        "Mon 19",
        "Thu 22",
    ]
    every_other = occurrences(
        Schedule(times_of_day=(time(9, 0),), every_days=2), LONDON, start, None, *window
    )
    assert [d.day for d in every_other] == [5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25]
    once_a_week = occurrences(
        Schedule(times_of_day=(time(9, 0),), every_days=7), LONDON, date(2026, 1, 7), None, *window
    )
    assert [d.day for d in once_a_week] == [7, 14, 21]


def test_end_date_is_inclusive_and_as_needed_has_no_doses() -> None:
    doses = occurrences(
        Schedule(times_of_day=(time(8, 0), time(20, 0))),
        KOLKATA,
        date(2026, 2, 1),
        date(2026, 2, 2),
        utc(2026, 1, 1),
        utc(2026, 3, 1),
    )
    assert local_times(doses, KOLKATA) == [
        "2026-02-01 08:00 IST",
        "2026-02-01 20:00 IST",
        "2026-02-02 08:00 IST",
        "2026-02-02 20:00 IST",
    ]
    assert (
        occurrences(
            Schedule(times_of_day=(time(8, 0),), as_needed=True),
            KOLKATA,
            date(2026, 2, 1),
            None,
            utc(2026, 1, 1),
            utc(2026, 3, 1),
        )
        == []
    )


def test_window_excludes_the_past() -> None:
    doses = occurrences(
        Schedule(times_of_day=(time(8, 0),)),
        NY,
        date(2026, 1, 1),
        None,
        utc(2026, 1, 10, 14),
        utc(2026, 1, 12, 14),
    )
    assert local_times(doses, NY) == ["2026-01-11 08:00 EST", "2026-01-12 08:00 EST"]
