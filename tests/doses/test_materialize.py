"""Doses over time: the application clock moved to just before each daylight
saving change, concurrent materializers, time zone changes, finished courses.
What a prescription change does to its doses is in tests/prescriptions/test_changes.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.materialize import extend_horizons, materialize
from prescripcare.doses.models import Dose
from prescripcare.drugs.seed import SeedReport
from prescripcare.prescriptions.models import Prescription
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.doses.helpers import doses, local
from tests.factories import Account, patient
from tests.patients.documents import UPDATE_PATIENT
from tests.prescriptions.documents import (
    PRESCRIBE,
    WARFARIN,
    prescription,
)

HORIZON = timedelta(days=14)


@pytest.mark.parametrize(
    ("zone", "just_before", "expected"),
    [
        (
            "America/New_York",
            datetime(2026, 3, 7, 6, tzinfo=UTC),
            ["03-07 08:00 EST", "03-08 08:00 EDT", "03-09 08:00 EDT"],
        ),
        (
            "America/New_York",
            datetime(2026, 10, 31, 6, tzinfo=UTC),
            ["10-31 08:00 EDT", "11-01 08:00 EST", "11-02 08:00 EST"],
        ),
        (
            "Europe/London",
            datetime(2026, 3, 28, 6, tzinfo=UTC),
            ["03-28 08:00 GMT", "03-29 08:00 BST", "03-30 08:00 BST"],
        ),
        (
            "Europe/London",
            datetime(2026, 10, 24, 6, tzinfo=UTC),
            ["10-24 08:00 BST", "10-25 08:00 GMT", "10-26 08:00 GMT"],
        ),
        (
            "Asia/Kolkata",
            datetime(2026, 3, 7, 1, tzinfo=UTC),
            ["03-07 08:00 IST", "03-08 08:00 IST", "03-09 08:00 IST"],
        ),
        (
            "Australia/Lord_Howe",
            datetime(2026, 10, 2, 12, tzinfo=UTC),
            ["10-03 08:00 +1030", "10-04 08:00 +11", "10-05 08:00 +11"],
        ),
        (
            "Australia/Lord_Howe",
            datetime(2026, 4, 3, 12, tzinfo=UTC),
            ["04-04 08:00 +11", "04-05 08:00 +1030", "04-06 08:00 +1030"],
        ),
    ],
)
async def test_prescribed_doses_follow_local_time_across_changes(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    zone: str,
    just_before: datetime,
    expected: list[str],
) -> None:
    clock.set(just_before)
    pid = str(await patient(resources, doctor, "Ada", timezone=zone))
    start = just_before.astimezone(ZoneInfo(zone)).date().isoformat()
    out = (
        await gql.data(
            PRESCRIBE, prescription(pid, WARFARIN, startDate=start), token=doctor.now_token
        )
    )["prescribe"]
    assert out["errors"] == []
    found = await doses(gql, doctor, pid, just_before, just_before + timedelta(days=3))
    assert local(found, zone) == expected
    assert len(await doses(gql, doctor, pid, just_before, just_before + timedelta(days=20))) == 14


async def test_q8h_stays_eight_hours_apart_across_the_change(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    clock.set(datetime(2026, 3, 7, 5, tzinfo=UTC))
    pid = str(await patient(resources, doctor, "Ada", timezone="America/New_York"))
    await gql.data(
        PRESCRIBE,
        prescription(
            pid,
            WARFARIN,
            startDate="2026-03-07",
            schedule={"everyHours": 8, "timesOfDay": ["06:00"]},
        ),
        token=doctor.now_token,
    )
    found = await doses(gql, doctor, pid, clock.now(), clock.now() + timedelta(days=2))
    instants = [datetime.fromisoformat(d["scheduledAt"]) for d in found]
    assert all(b - a == timedelta(hours=8) for a, b in pairwise(instants))
    assert local(found, "America/New_York")[3] == "03-08 07:00 EDT"


async def test_moving_time_zone_recreates_future_doses(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    await gql.data(PRESCRIBE, prescription(pid, WARFARIN), token=doctor.now_token)
    out = (
        await gql.data(
            UPDATE_PATIENT,
            {"id": pid, "input": {"timezone": "Asia/Kolkata"}},
            token=doctor.now_token,
        )
    )["updatePatient"]
    assert out["errors"] == []
    found = await doses(gql, doctor, pid, clock.now(), clock.now() + timedelta(days=30))
    assert len(found) == 14
    assert set(local(found, "Asia/Kolkata")) >= {"01-14 08:00 IST"}
    assert {d[6:] for d in local(found, "Asia/Kolkata")} == {"08:00 IST"}


async def test_two_materializers_at_once_create_no_duplicate(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    catalog: SeedReport,
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    await gql.data(
        PRESCRIBE,
        prescription(pid, WARFARIN, schedule={"timesOfDay": ["08:00", "20:00"]}),
        token=doctor.now_token,
    )
    clock.advance(timedelta(days=10))

    async def run() -> int:
        async with transaction(resources.sessions) as session:
            return await extend_horizons(session, clock.now(), HORIZON)

    created = await asyncio.gather(run(), run(), run())
    async with resources.sessions() as s:
        total = await s.scalar(select(func.count()).select_from(Dose))
        distinct = await s.scalar(select(func.count(func.distinct(Dose.scheduled_at))))
        rx = (await s.scalars(select(Prescription))).one()
    assert total == distinct == 28 + sum(created)
    assert sum(created) == 20  # days 15 to 24, twice a day, created once in all
    async with transaction(resources.sessions) as session:
        assert await materialize(session, rx, "Europe/London", clock.now(), HORIZON) == 0


async def test_horizon_job_completes_finished_courses(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    await gql.data(
        PRESCRIBE, prescription(pid, WARFARIN, endDate="2026-01-20"), token=doctor.now_token
    )
    clock.set(datetime(2026, 1, 22, tzinfo=UTC))
    async with transaction(resources.sessions) as session:
        await extend_horizons(session, clock.now(), HORIZON)
    async with resources.sessions() as s:
        rx = (await s.scalars(select(Prescription))).one()
        last = await s.scalar(select(func.max(Dose.scheduled_at)))
    assert rx.status == "COMPLETED"
    assert last == datetime(2026, 1, 20, 8, tzinfo=UTC)  # end date inclusive
