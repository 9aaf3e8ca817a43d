"""Rules stated once and told: what docs/prescriptions.md says is what the
API does (issue 17, point 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prescripcare.clock import SettableClock
from tests.conftest import GraphQLClient
from tests.factories import Account
from tests.prescriptions.documents import (
    ASPIRIN,
    LISINOPRIL,
    METFORMIN,
    PRESCRIBE,
    RECORD_DOSE,
    SNOOZE,
    WARFARIN,
    prescription,
)

LIST = """
query($id: ID!) { patient(id: $id) { prescriptions { drug { rxcui } startDate } } }"""


async def test_an_empty_times_of_day_with_as_needed_means_no_fixed_times(
    gql: GraphQLClient, doctor: Account, patient_id: str
) -> None:
    out = (
        await gql.data(
            PRESCRIBE,
            prescription(patient_id, ASPIRIN, schedule={"timesOfDay": [], "asNeeded": True}),
            token=doctor.token,
        )
    )["prescribe"]
    assert out["errors"] == []
    assert out["prescription"]["schedule"] == {
        "timesOfDay": [],
        "daysOfWeek": [],
        "asNeeded": True,
    }
    assert out["prescription"]["nextDose"] is None


async def test_snooze_and_record_share_one_window_and_one_message(
    gql: GraphQLClient, clock: SettableClock, doctor: Account, patient_id: str
) -> None:
    # Grace lives in New York: her 08:00 dose is 13:00Z tomorrow.
    rx = (await gql.data(PRESCRIBE, prescription(patient_id, WARFARIN), token=doctor.token))[
        "prescribe"
    ]["prescription"]
    dose = rx["nextDose"]["id"]
    due = datetime.fromisoformat(rx["nextDose"]["scheduledAt"])
    assert due == datetime(2026, 1, 14, 13, tzinfo=UTC)
    clock.set(due - timedelta(hours=7))
    snoozed = (await gql.data(SNOOZE, {"doseId": dose, "minutes": 30}, token=doctor.now_token))[
        "snoozeReminder"
    ]
    recorded = (
        await gql.data(RECORD_DOSE, {"doseId": dose, "status": "TAKEN"}, token=doctor.now_token)
    )["recordDose"]
    assert snoozed["errors"] == recorded["errors"]
    [error] = snoozed["errors"]
    assert error["code"] == "TOO_EARLY" and error["field"] == "doseId"
    assert "from two hours before it is due, in 5 h 00 min" in error["message"]
    # Inside the window a snooze counts from the due time.
    clock.set(due - timedelta(hours=1, minutes=59))
    ok = (await gql.data(SNOOZE, {"doseId": dose, "minutes": 30}, token=doctor.now_token))[
        "snoozeReminder"
    ]
    assert ok["errors"] == []
    assert datetime.fromisoformat(ok["dose"]["snoozedUntil"]) == due + timedelta(minutes=30)


async def test_prescriptions_are_newest_first_ties_broken_by_entry(
    gql: GraphQLClient, clock: SettableClock, doctor: Account, patient_id: str
) -> None:
    entered: list[tuple[str, str]] = [
        (LISINOPRIL, "2026-01-10"),
        (METFORMIN, "2026-01-12"),
        (WARFARIN, "2026-01-10"),
        (ASPIRIN, "2026-01-10"),
    ]
    for drug, start in entered:
        clock.advance(timedelta(minutes=1))
        body: dict[str, Any] = prescription(patient_id, drug, startDate=start)
        body["input"]["acknowledgeInteractions"] = True
        out = (await gql.data(PRESCRIBE, body, token=doctor.now_token))["prescribe"]
        assert out["errors"] == [], out
    listed = (await gql.data(LIST, {"id": patient_id}, token=doctor.now_token))["patient"]
    order = [p["drug"]["rxcui"] for p in listed["prescriptions"]]
    assert order == [METFORMIN, ASPIRIN, WARFARIN, LISINOPRIL]
