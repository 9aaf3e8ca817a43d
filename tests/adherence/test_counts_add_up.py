"""Adherence counts that add up (docs/adherence.md, "What each figure
means"): scheduled = taken + missed + skipped + pending in every window, a
dose recorded early counts in its own day at once, and onTimeRate and
doseAdherence at their edges: early, late, snoozed, recorded after MISSED."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, patient
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, SNOOZE, prescription

LISINOPRIL = "29046"
# 08:00 in New York on Wednesday 14 January 2026.
DUE = datetime(2026, 1, 14, 13, tzinfo=UTC)

FIGURES = """
query($id: ID!, $from: Date, $to: Date, $days: Int) {
  patient(id: $id) {
    adherence(from: $from, to: $to, days: $days) {
      scheduled taken missed skipped pending doseAdherence onTimeRate
      daily { date scheduled taken }
    }
    prescriptions { adherence(from: $from, to: $to, days: $days) { scheduled pending } }
  }
}"""


async def _dose_due_at_eight(gql: GraphQLClient, resources: Resources, doctor: Account) -> Any:
    pid = str(await patient(resources, doctor, "Early Bird", timezone="America/New_York"))
    out = (
        await gql.data(
            PRESCRIBE, prescription(pid, LISINOPRIL, startDate="2026-01-14"), token=doctor.now_token
        )
    )["prescribe"]
    assert out["errors"] == []
    doses = (
        await gql.data(
            'query($id: ID!) { patient(id: $id) { doses(from: "2026-01-14T00:00:00Z", '
            'to: "2026-01-15T00:00:00Z") { id scheduledAt } } }',
            {"id": pid},
            token=doctor.now_token,
        )
    )["patient"]["doses"]
    assert [d["scheduledAt"] for d in doses] == ["2026-01-14T13:00:00Z"]
    return pid, doses[0]["id"]


async def _figures(gql: GraphQLClient, doctor: Account, pid: str, **window: Any) -> Any:
    found = (await gql.data(FIGURES, {"id": pid, **window}, token=doctor.now_token))["patient"]
    figures = found["adherence"]
    assert figures["scheduled"] == (
        figures["taken"] + figures["missed"] + figures["skipped"] + figures["pending"]
    ), figures
    assert figures["scheduled"] == sum(d["scheduled"] for d in figures["daily"])
    assert [p["adherence"] for p in found["prescriptions"]] == [
        {"scheduled": figures["scheduled"], "pending": figures["pending"]}
    ]
    return figures


async def _record(gql: GraphQLClient, doctor: Account, dose_id: str, **more: Any) -> None:
    out = (
        await gql.data(
            RECORD_DOSE, {"doseId": dose_id, "status": "TAKEN", **more}, token=doctor.now_token
        )
    )["recordDose"]
    assert out["errors"] == [], out


async def test_a_dose_recorded_early_counts_in_its_own_day_at_once(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid, dose_id = await _dose_due_at_eight(gql, resources, doctor)
    clock.set(DUE - timedelta(minutes=89))  # 06:31 local
    await _record(gql, doctor, dose_id)
    figures = await _figures(gql, doctor, pid, days=2)
    assert (figures["scheduled"], figures["taken"], figures["pending"]) == (1, 1, 0)
    assert figures["daily"] == [
        {"date": "2026-01-13", "scheduled": 0, "taken": 0},
        {"date": "2026-01-14", "scheduled": 1, "taken": 1},
    ]
    # Taken, so adherent; 89 minutes early is outside the 60-minute window.
    assert (figures["doseAdherence"], figures["onTimeRate"]) == (1.0, 0.0)


async def test_early_within_the_window_is_on_time(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid, dose_id = await _dose_due_at_eight(gql, resources, doctor)
    clock.set(DUE - timedelta(minutes=60))  # 07:00 local: the edge counts
    await _record(gql, doctor, dose_id)
    figures = await _figures(gql, doctor, pid, days=1)
    assert (figures["doseAdherence"], figures["onTimeRate"]) == (1.0, 1.0)


async def test_pending_snoozed_and_late(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid, dose_id = await _dose_due_at_eight(gql, resources, doctor)
    clock.set(DUE - timedelta(minutes=1))
    before = await _figures(gql, doctor, pid, days=1)
    assert (before["scheduled"], before["pending"], before["doseAdherence"]) == (0, 0, None)

    clock.set(DUE + timedelta(minutes=10))
    due = await _figures(gql, doctor, pid, days=1)
    assert (due["scheduled"], due["pending"], due["taken"]) == (1, 1, 0)
    # Pending doses are not judged yet.
    assert (due["doseAdherence"], due["onTimeRate"]) == (None, None)

    snoozed = (await gql.data(SNOOZE, {"doseId": dose_id, "minutes": 60}, token=doctor.now_token))[
        "snoozeReminder"
    ]
    assert snoozed["errors"] == []
    clock.set(DUE + timedelta(minutes=65))
    assert (await _figures(gql, doctor, pid, days=1))["pending"] == 1

    # Taken 65 minutes after its time, five minutes after the snooze ended:
    # lateness runs from the scheduled time, so it is late.
    await _record(gql, doctor, dose_id)
    late = await _figures(gql, doctor, pid, days=1)
    assert (late["scheduled"], late["taken"], late["pending"]) == (1, 1, 0)
    assert (late["doseAdherence"], late["onTimeRate"]) == (1.0, 0.0)


async def test_recorded_after_missed_counts_as_taken(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    pid, dose_id = await _dose_due_at_eight(gql, resources, doctor)
    clock.set(DUE + timedelta(minutes=61))
    async with transaction(resources.sessions) as session:
        assert len(await mark_missed(session, clock.now(), timedelta(minutes=60))) == 1
    missed = await _figures(gql, doctor, pid, days=1)
    assert (missed["scheduled"], missed["missed"], missed["pending"]) == (1, 1, 0)
    assert (missed["doseAdherence"], missed["onTimeRate"]) == (0.0, 0.0)

    # The patient tells us later they took it at 08:20: taken, and on time
    # by when it was taken, not when it was recorded.
    clock.set(DUE + timedelta(hours=3))
    await _record(gql, doctor, dose_id, takenAt="2026-01-14T13:20:00Z")
    taken = await _figures(gql, doctor, pid, days=1)
    assert (taken["scheduled"], taken["taken"], taken["missed"]) == (1, 1, 0)
    assert (taken["doseAdherence"], taken["onTimeRate"]) == (1.0, 1.0)
