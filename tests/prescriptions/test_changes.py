"""Changing a prescription: a schedule edited mid-course keeps its history,
pausing and resuming replace future doses, discontinuing cancels only future
doses and needs a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.doses.helpers import doses
from tests.factories import Account, patient
from tests.prescriptions.documents import (
    DISCONTINUE,
    PRESCRIBE,
    RECORD_DOSE,
    UPDATE_PRESCRIPTION,
    WARFARIN,
    prescription,
)


async def test_editing_a_schedule_mid_course_keeps_history(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    out = (await gql.data(PRESCRIBE, prescription(pid, WARFARIN), token=doctor.now_token))[
        "prescribe"
    ]
    rx = out["prescription"]["id"]
    first = out["prescription"]["nextDose"]
    clock.set(datetime(2026, 1, 14, 8, 30, tzinfo=UTC))
    await gql.data(RECORD_DOSE, {"doseId": first["id"], "status": "TAKEN"}, token=doctor.now_token)
    clock.set(datetime(2026, 1, 16, 8, 30, tzinfo=UTC))
    async with transaction(resources.sessions) as session:
        await mark_missed(session, clock.now(), timedelta(minutes=60))  # 15th's dose missed
    updated = (
        await gql.data(
            UPDATE_PRESCRIPTION,
            {"id": rx, "input": {"schedule": {"timesOfDay": ["21:00"]}}},
            token=doctor.now_token,
        )
    )["updatePrescription"]
    assert updated["errors"] == []
    # Today's 08:00 dose is still within its grace period: still the next one.
    assert updated["prescription"]["nextDose"]["scheduledAt"] == "2026-01-16T08:00:00Z"
    history = await doses(gql, doctor, pid, datetime(2026, 1, 13, tzinfo=UTC), clock.now())
    assert [(d["scheduledAt"], d["status"]) for d in history] == [
        ("2026-01-14T08:00:00Z", "TAKEN"),
        ("2026-01-15T08:00:00Z", "MISSED"),
        ("2026-01-16T08:00:00Z", "SCHEDULED"),  # due earlier today, still in its grace
    ]
    future = await doses(gql, doctor, pid, clock.now(), clock.now() + timedelta(days=30))
    assert {d["scheduledAt"][11:] for d in future} == {"21:00:00Z"}


async def test_pausing_and_resuming_replace_future_doses(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    rx = (await gql.data(PRESCRIBE, prescription(pid, WARFARIN), token=doctor.now_token))[
        "prescribe"
    ]["prescription"]["id"]
    paused = (
        await gql.data(
            UPDATE_PRESCRIPTION, {"id": rx, "input": {"status": "PAUSED"}}, token=doctor.now_token
        )
    )["updatePrescription"]["prescription"]
    assert paused["status"] == "PAUSED" and paused["nextDose"] is None
    clock.advance(timedelta(days=3))
    resumed = (
        await gql.data(
            UPDATE_PRESCRIPTION, {"id": rx, "input": {"status": "ACTIVE"}}, token=doctor.now_token
        )
    )["updatePrescription"]["prescription"]
    assert resumed["nextDose"]["scheduledAt"] == "2026-01-17T08:00:00Z"
    bad = (
        await gql.data(
            UPDATE_PRESCRIPTION,
            {"id": rx, "input": {"status": "DISCONTINUED"}},
            token=doctor.now_token,
        )
    )["updatePrescription"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID", "input.status")]


async def test_discontinuing_cancels_future_doses_only(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid = str(await patient(resources, doctor, "Ada", timezone="Europe/London"))
    rx = (await gql.data(PRESCRIBE, prescription(pid, WARFARIN), token=doctor.now_token))[
        "prescribe"
    ]["prescription"]["id"]
    clock.set(datetime(2026, 1, 15, 9, tzinfo=UTC))
    blank = (await gql.data(DISCONTINUE, {"id": rx, "reason": " "}, token=doctor.now_token))[
        "discontinuePrescription"
    ]
    assert [(e["code"], e["field"]) for e in blank["errors"]] == [("INVALID", "reason")]
    assert blank["prescription"] is None  # refused; still active, as below shows
    out = (
        await gql.data(DISCONTINUE, {"id": rx, "reason": "Bleeding risk"}, token=doctor.now_token)
    )["discontinuePrescription"]
    assert out["prescription"] == {
        "id": rx,
        "status": "DISCONTINUED",
        "endDate": "2026-01-15",
        "nextDose": None,
    }
    left = await doses(
        gql, doctor, pid, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert [d["scheduledAt"] for d in left] == ["2026-01-14T08:00:00Z", "2026-01-15T08:00:00Z"]
    again = (await gql.data(DISCONTINUE, {"id": rx, "reason": "again"}, token=doctor.now_token))[
        "discontinuePrescription"
    ]
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_STATE", "id")]
