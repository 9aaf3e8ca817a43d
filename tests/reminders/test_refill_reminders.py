"""A refill reminder goes once per fill, when the refill falls due."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.patients.models import Patient
from prescripcare.reminders.refills import queue_refill_reminders
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account
from tests.prescriptions.documents import RECORD_FILL
from tests.reminders.outbox import Flaky, send

CHANNELS = ["SMS", "EMAIL", "PUSH"]


async def queue(resources: Resources, now: datetime) -> int:
    async with transaction(resources.sessions) as session:
        return await queue_refill_reminders(session, now, 7, CHANNELS)


async def fill(gql: GraphQLClient, resources: Resources, doctor: Account, on: str) -> None:
    async with resources.sessions() as s:
        patient = (await s.scalars(select(Patient))).one()
    data = await gql.data(
        "query($id: ID!) { patient(id: $id) { prescriptions { id } } }",
        {"id": str(patient.id)},
        token=doctor.now_token,
    )
    prescription_id = data["patient"]["prescriptions"][0]["id"]
    out = (
        await gql.data(
            RECORD_FILL,
            {"input": {"prescriptionId": prescription_id, "filledOn": on, "daysSupply": 30}},
            token=doctor.now_token,
        )
    )["recordFill"]
    assert out["errors"] == []


async def test_once_per_fill_when_due(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account, dose: str
) -> None:
    await fill(gql, resources, doctor, "2026-01-10")  # runs out 2026-02-09, due 2026-02-02
    assert await queue(resources, datetime(2026, 2, 1, 12, tzinfo=UTC)) == 0
    assert await queue(resources, datetime(2026, 2, 2, 9, tzinfo=UTC)) == 2  # SMS, EMAIL
    assert await queue(resources, datetime(2026, 2, 3, 9, tzinfo=UTC)) == 0  # once per fill
    report = await send(
        resources, {"SMS": Flaky(0), "EMAIL": Flaky(0)}, datetime(2026, 2, 2, 9, tzinfo=UTC)
    )
    assert report.sent == 2
    assert {(e.kind.value, e.dose_id) for e in report.events} == {("REFILL_REMINDER_SENT", None)}
    clock.set(datetime(2026, 2, 4, 9, tzinfo=UTC))
    await fill(gql, resources, doctor, "2026-02-04")  # the refill: a new fill, a new reminder
    assert await queue(resources, datetime(2026, 2, 4, 9, tzinfo=UTC)) == 0
    assert await queue(resources, datetime(2026, 3, 4, 9, tzinfo=UTC)) == 2
