"""Refill forecasting from fills and the schedule."""

from __future__ import annotations

from typing import Any

from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, patient
from tests.prescriptions.documents import PRESCRIBE, RECORD_FILL, prescription

QUERY = """query($id: ID!) { patient(id: $id) { prescriptions { runsOutOn refillDueOn } } }"""


async def forecast(
    gql: GraphQLClient,
    resources: Resources,
    doctor: Account,
    schedule: dict[str, Any],
    fills: list[dict[str, Any]],
) -> dict[str, Any]:
    pid = str(await patient(resources, doctor, "Refill", timezone="Europe/London"))
    rx = (
        await gql.data(
            PRESCRIBE,
            prescription(pid, "6809", startDate="2025-12-01", schedule=schedule),
            token=doctor.token,
        )
    )["prescribe"]["prescription"]["id"]
    for fill in fills:
        out = (
            await gql.data(
                RECORD_FILL, {"input": {"prescriptionId": rx, **fill}}, token=doctor.token
            )
        )["recordFill"]
        assert out["errors"] == []
    data = await gql.data(QUERY, {"id": pid}, token=doctor.token)
    found: dict[str, Any] = data["patient"]["prescriptions"][0]
    return found


async def test_no_fill_no_forecast(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    assert await forecast(gql, resources, doctor, {"timesOfDay": ["08:00"]}, []) == {
        "runsOutOn": None,
        "refillDueOn": None,
    }


async def test_early_refills_chain_and_the_reminder_comes_a_week_before(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    found = await forecast(
        gql,
        resources,
        doctor,
        {"timesOfDay": ["08:00"]},
        [
            {"filledOn": "2025-12-10", "daysSupply": 30},
            {"filledOn": "2026-01-05", "daysSupply": 30},  # early: starts when the first ends
        ],
    )
    assert found == {"runsOutOn": "2026-02-08", "refillDueOn": "2026-02-01"}


async def test_the_schedule_shortens_a_supply_that_cannot_last(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    # 30 tablets taken twice a day last 15 days, whatever the pharmacy wrote.
    found = await forecast(
        gql,
        resources,
        doctor,
        {"timesOfDay": ["08:00", "20:00"]},
        [
            {"filledOn": "2026-01-10", "daysSupply": 30, "quantity": 30},
        ],
    )
    assert found == {"runsOutOn": "2026-01-25", "refillDueOn": "2026-01-18"}
