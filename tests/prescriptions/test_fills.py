"""Recording fills: refills used up, dates checked, nothing written when refused."""

from __future__ import annotations

from typing import Any

import pytest

from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, patient
from tests.prescriptions.documents import PRESCRIBE, RECORD_FILL, WARFARIN, prescription


@pytest.fixture
async def rx(gql: GraphQLClient, resources: Resources, doctor: Account) -> dict[str, Any]:
    grace = await patient(resources, doctor, "Grace", timezone="Europe/London")
    out = await gql.data(
        PRESCRIBE,
        prescription(grace, WARFARIN, refills=2, daysSupply=30, quantity=30),
        token=doctor.token,
    )
    found: dict[str, Any] = out["prescribe"]["prescription"]
    return found


async def test_fills_use_up_refills(
    gql: GraphQLClient, doctor: Account, rx: dict[str, Any]
) -> None:
    async def fill(on: str, days: int = 30) -> dict[str, Any]:
        out: dict[str, Any] = (
            await gql.data(
                RECORD_FILL,
                {
                    "input": {
                        "prescriptionId": rx["id"],
                        "filledOn": on,
                        "daysSupply": days,
                        "quantity": 30,
                    }
                },
                token=doctor.token,
            )
        )["recordFill"]
        return out

    first = await fill("2026-01-13")
    assert first["errors"] == [] and first["fill"]["daysSupply"] == 30
    future = await fill("2026-01-20")
    assert [(e["code"], e["field"]) for e in future["errors"]] == [("INVALID", "input.filledOn")]
    bad = await fill("2026-01-13", 0)
    assert [e["field"] for e in bad["errors"]] == ["input.daysSupply"]
    await fill("2026-01-12")
    query = (
        "query($id: ID!) { patient(id: $id) "
        "{ prescriptions { refillsRemaining fills { filledOn } } } }"
    )
    data = await gql.data(query, {"id": await _patient_of(gql, doctor)}, token=doctor.token)
    only = data["patient"]["prescriptions"][0]
    assert only["refillsRemaining"] == 1
    assert [f["filledOn"] for f in only["fills"]] == ["2026-01-12", "2026-01-13"]


async def _patient_of(gql: GraphQLClient, doctor: Account) -> str:
    data = await gql.data("{ patients { edges { node { id } } } }", token=doctor.token)
    pid: str = data["patients"]["edges"][0]["node"]["id"]
    return pid


async def test_a_fill_more_than_30_days_before_the_start_is_refused(
    gql: GraphQLClient, doctor: Account, rx: dict[str, Any]
) -> None:
    async def fill(on: str) -> dict[str, Any]:
        variables = {"input": {"prescriptionId": rx["id"], "filledOn": on, "daysSupply": 30}}
        out: dict[str, Any] = (await gql.data(RECORD_FILL, variables, token=doctor.token))[
            "recordFill"
        ]
        return out

    # The prescription starts on 2026-01-13: a fill may precede it by 30 days.
    early = await fill("2025-12-13")
    assert [(e["code"], e["field"]) for e in early["errors"]] == [("INVALID", "input.filledOn")]
    assert early["fill"] is None
    edge = await fill("2025-12-14")
    assert edge["errors"] == []
    query = "query($id: ID!) { patient(id: $id) { prescriptions { fills { filledOn } } } }"
    data = await gql.data(query, {"id": await _patient_of(gql, doctor)}, token=doctor.token)
    only = data["patient"]["prescriptions"][0]
    assert [f["filledOn"] for f in only["fills"]] == ["2025-12-14"]  # the refused one: not written
