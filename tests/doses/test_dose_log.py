"""Recording doses, snoozing reminders, missed doses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.doses.models import Dose, DoseRecord
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, account, patient
from tests.patients.documents import LINK_CAREGIVER
from tests.prescriptions.documents import (
    DISCONTINUE,
    DOSES,
    PRESCRIBE,
    RECORD_DOSE,
    SNOOZE,
    WARFARIN,
    prescription,
)

# Grace Hopper lives in London; her dose is at 08:00, now is 2026-01-13 15:00Z.
FIRST_DOSE = datetime(2026, 1, 14, 8, tzinfo=UTC)


@pytest.fixture
async def london(resources: Resources, doctor: Account) -> str:
    return str(await patient(resources, doctor, "Grace", timezone="Europe/London"))


@pytest.fixture
async def rx(gql: GraphQLClient, doctor: Account, london: str) -> dict[str, Any]:
    out = (
        await gql.data(
            PRESCRIBE,
            prescription(london, WARFARIN, refills=2, daysSupply=30, quantity=30),
            token=doctor.token,
        )
    )["prescribe"]
    p: dict[str, Any] = out["prescription"]
    return p


async def record(
    gql: GraphQLClient, who: Account, dose_id: str, status: str, taken_at: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = (
        await gql.data(
            RECORD_DOSE,
            {"doseId": dose_id, "status": status, "takenAt": taken_at},
            token=who.now_token,
        )
    )["recordDose"]
    return out


async def test_taken_with_its_own_time(
    gql: GraphQLClient, clock: SettableClock, doctor: Account, rx: dict[str, Any]
) -> None:
    clock.set(FIRST_DOSE + timedelta(minutes=40))
    out = await record(gql, doctor, rx["nextDose"]["id"], "TAKEN", "2026-01-14T09:05:00+01:00")
    assert out == {
        "dose": {"id": rx["nextDose"]["id"], "status": "TAKEN", "takenAt": "2026-01-14T08:05:00Z"},
        "errors": [],
    }


async def test_too_early_and_bad_times(
    gql: GraphQLClient, clock: SettableClock, doctor: Account, rx: dict[str, Any]
) -> None:
    dose = rx["nextDose"]["id"]
    clock.set(FIRST_DOSE - timedelta(hours=2, minutes=1))
    early = await record(gql, doctor, dose, "TAKEN")
    assert [(e["code"], e["field"]) for e in early["errors"]] == [("TOO_EARLY", "doseId")]
    clock.set(FIRST_DOSE - timedelta(hours=1))
    future = await record(gql, doctor, dose, "TAKEN", "2026-01-14T12:00:00Z")
    assert [(e["code"], e["field"]) for e in future["errors"]] == [("INVALID", "takenAt")]
    skipped_with_time = await record(gql, doctor, dose, "SKIPPED", "2026-01-14T07:00:00Z")
    assert [e["field"] for e in skipped_with_time["errors"]] == ["takenAt"]
    naive = await gql.raw(
        RECORD_DOSE,
        {"doseId": dose, "status": "TAKEN", "takenAt": "2026-01-14T07:00:00"},
        token=doctor.now_token,
    )
    assert naive["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_re_recording_is_allowed_and_kept(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    rx: dict[str, Any],
) -> None:
    dose = rx["nextDose"]["id"]
    clock.set(FIRST_DOSE + timedelta(minutes=10))
    await record(gql, doctor, dose, "SKIPPED")
    clock.advance(timedelta(minutes=20))
    corrected = await record(gql, doctor, dose, "TAKEN")
    assert corrected["dose"]["status"] == "TAKEN"
    async with resources.sessions() as s:
        history = [
            r.status
            for r in await s.scalars(select(DoseRecord).order_by(col(DoseRecord.recorded_at)))
        ]
    assert history == ["SKIPPED", "TAKEN"]


async def test_caregivers_record_and_admins_may_not(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    london: str,
    rx: dict[str, Any],
) -> None:
    carer = await account(resources, Role.CAREGIVER)
    await gql.data(LINK_CAREGIVER, {"patientId": london, "email": carer.email}, token=doctor.token)
    clock.set(FIRST_DOSE)
    assert (await record(gql, carer, rx["nextDose"]["id"], "TAKEN"))["errors"] == []
    admin = await account(resources, Role.ADMIN)
    body = await gql.raw(
        RECORD_DOSE, {"doseId": rx["nextDose"]["id"], "status": "TAKEN"}, token=admin.now_token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stranger = await account(resources, Role.CAREGIVER)
    hidden = await record(gql, stranger, rx["nextDose"]["id"], "TAKEN")
    assert [e["code"] for e in hidden["errors"]] == ["NOT_FOUND"]


async def test_snooze_moves_the_missed_deadline(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    london: str,
    rx: dict[str, Any],
) -> None:
    dose = rx["nextDose"]["id"]
    clock.set(FIRST_DOSE + timedelta(minutes=5))
    for bad in (4, 241):
        out = (await gql.data(SNOOZE, {"doseId": dose, "minutes": bad}, token=doctor.now_token))[
            "snoozeReminder"
        ]
        assert [(e["code"], e["field"]) for e in out["errors"]] == [("INVALID", "minutes")]
    out = (await gql.data(SNOOZE, {"doseId": dose, "minutes": 90}, token=doctor.now_token))[
        "snoozeReminder"
    ]
    assert out["dose"]["snoozedUntil"] == "2026-01-14T09:35:00Z"
    assert out["dose"]["status"] == "SCHEDULED"

    async def missed_at(minutes: int) -> list[str]:
        clock.set(FIRST_DOSE + timedelta(minutes=minutes))
        async with transaction(resources.sessions) as session:
            await mark_missed(session, clock.now(), timedelta(minutes=60))
        data = await gql.data(
            DOSES,
            {"id": london, "from": "2026-01-14T00:00:00Z", "to": "2026-01-14T23:00:00Z"},
            token=doctor.now_token,
        )
        return [d["status"] for d in data["patient"]["doses"]]

    assert await missed_at(61) == ["SCHEDULED"]  # grace counts from the snooze's end
    assert await missed_at(155) == ["SCHEDULED"]
    assert await missed_at(156) == ["MISSED"]
    late = (await gql.data(SNOOZE, {"doseId": dose, "minutes": 30}, token=doctor.now_token))[
        "snoozeReminder"
    ]
    assert [e["code"] for e in late["errors"]] == ["INVALID_STATE"]


async def test_a_discontinued_prescriptions_future_doses_cannot_be_recorded(
    gql: GraphQLClient,
    clock: SettableClock,
    doctor: Account,
    london: str,
    rx: dict[str, Any],
) -> None:
    dose = rx["nextDose"]["id"]
    clock.set(FIRST_DOSE - timedelta(hours=1))
    await gql.data(DISCONTINUE, {"id": rx["id"], "reason": "Stopped"}, token=doctor.now_token)
    out = await record(gql, doctor, dose, "TAKEN")
    assert [e["code"] for e in out["errors"]] == ["NOT_FOUND"]  # the future dose is gone


async def test_a_dose_recorded_early_cannot_change_once_the_prescription_is_discontinued(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    rx: dict[str, Any],
) -> None:
    # Taken an hour early, then stopped: the recorded dose stays (history),
    # and is still to come, so recordDose reaches the discontinued rule.
    dose = rx["nextDose"]["id"]
    clock.set(FIRST_DOSE - timedelta(hours=1))
    assert (await record(gql, doctor, dose, "TAKEN"))["errors"] == []
    stopped = await gql.data(
        DISCONTINUE, {"id": rx["id"], "reason": "Stopped"}, token=doctor.now_token
    )
    assert stopped["discontinuePrescription"]["errors"] == []
    out = await record(gql, doctor, dose, "SKIPPED")
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("INVALID_STATE", "doseId")]
    assert out["dose"] is None
    async with resources.sessions() as s:
        records = [r.status for r in await s.scalars(select(DoseRecord))]
        status = await s.scalar(select(col(Dose.status)).where(col(Dose.id) == uuid.UUID(dose)))
    assert records == ["TAKEN"]  # nothing written
    assert status == "TAKEN"
