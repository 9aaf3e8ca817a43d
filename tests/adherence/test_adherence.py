"""Adherence: the reference's worked PDC cases to six places, MPR, dose
adherence and its null cases, the grace period, daily rows across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import col

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.drugs.catalog import Origin, upsert
from prescripcare.drugs.models import DrugConcept, DrugIngredient
from prescripcare.prescriptions.models import Prescription
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import Account, patient
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, RECORD_FILL, prescription

LISINOPRIL, LOSARTAN, HCTZ = "29046", "52175", "5487"
COMBINATION = "99000201"  # a test-only lisinopril / hydrochlorothiazide concept

RX_ADHERENCE = """
query($id: ID!, $from: Date, $to: Date, $days: Int) {
  patient(id: $id) {
    adherence(from: $from, to: $to, days: $days) {
      scheduled taken missed skipped doseAdherence onTimeRate pdc mpr daily { date scheduled taken }
    }
    prescriptions {
      drug { rxcui }
      adherence(from: $from, to: $to, days: $days) { pdc mpr }
    }
  }
}"""


@pytest.fixture
async def combination(resources: Resources) -> Any:
    origin = Origin("test", "1", "test", resources.clock.now())
    async with transaction(resources.sessions) as session:
        await upsert(
            session,
            DrugConcept,
            [
                origin.stamp(
                    {"rxcui": COMBINATION, "tty": "MIN", "name": "hydrochlorothiazide / lisinopril"}
                )
            ],
            ["rxcui"],
        )
        await upsert(
            session,
            DrugIngredient,
            [
                origin.stamp({"rxcui": COMBINATION, "ingredient_rxcui": i})
                for i in (LISINOPRIL, HCTZ)
            ],
            ["rxcui", "ingredient_rxcui"],
        )
    yield
    async with transaction(resources.sessions) as session:
        await session.execute(delete(Prescription).where(col(Prescription.rxcui) == COMBINATION))
        await session.execute(delete(DrugConcept).where(col(DrugConcept.rxcui) == COMBINATION))


async def holding(
    gql: GraphQLClient,
    resources: Resources,
    doctor: Account,
    fills: list[tuple[str, str]],
    tz: str = "America/Chicago",
) -> str:
    """A patient whose only filled drugs are `fills` (drug, fill date), 90 days each."""
    pid = str(await patient(resources, doctor, "Case", timezone=tz))
    prescriptions: dict[str, str] = {}
    for drug, on in fills:
        if drug not in prescriptions:
            out = (
                await gql.data(
                    PRESCRIBE,
                    prescription(
                        pid,
                        drug,
                        startDate="2021-01-01",
                        schedule={"asNeeded": True},
                        acknowledgeInteractions=True,
                        overrideReason="test case",
                    ),
                    token=doctor.now_token,
                )
            )["prescribe"]
            assert out["errors"] == [], out
            prescriptions[drug] = out["prescription"]["id"]
        done = (
            await gql.data(
                RECORD_FILL,
                {
                    "input": {
                        "prescriptionId": prescriptions[drug],
                        "filledOn": on,
                        "daysSupply": 90,
                    }
                },
                token=doctor.now_token,
            )
        )["recordFill"]
        assert done["errors"] == [], done
    return pid


async def adherence(gql: GraphQLClient, who: Account, pid: str, **window: Any) -> dict[str, Any]:
    data = await gql.data(RX_ADHERENCE, {"id": pid, **window}, token=who.now_token)
    found: dict[str, Any] = data["patient"]
    return found


YEAR = {"from": "2022-01-01", "to": "2022-12-31"}


@pytest.mark.parametrize(
    ("dates", "pdc", "mpr"),
    [
        (["2021-01-01", "2022-01-01", "2022-03-25", "2022-07-05", "2022-09-25"], 0.986301, None),
        (["2022-01-01", "2022-03-25", "2022-09-25"], 0.739726, None),
        (["2022-03-25", "2022-07-05", "2022-09-25"], 0.957447, None),
        (["2022-01-01", "2022-03-25", "2022-07-05", "2022-10-15"], 0.953425, 0.986301),
    ],
    ids=["early refills", "non-adherent", "late start", "early refill vs MPR"],
)
async def test_same_drug_cases_on_the_prescription(
    gql: GraphQLClient,
    resources: Resources,
    doctor: Account,
    dates: list[str],
    pdc: float,
    mpr: float | None,
) -> None:
    pid = await holding(gql, resources, doctor, [(LISINOPRIL, d) for d in dates])
    result = await adherence(gql, doctor, pid, **YEAR)
    rx = result["prescriptions"][0]["adherence"]
    assert round(rx["pdc"], 6) == pdc
    if mpr is not None:
        assert round(rx["mpr"], 6) == mpr
    assert round(result["adherence"]["pdc"], 6) == pdc  # one class: the same figure


@pytest.mark.usefixtures("combination")
@pytest.mark.parametrize(
    ("fills", "pdc"),
    [
        (
            [
                (LISINOPRIL, "2022-01-01"),
                (LOSARTAN, "2022-03-25"),
                (LOSARTAN, "2022-07-05"),
                (LOSARTAN, "2022-09-25"),
            ],
            0.967123,
        ),
        (
            [
                (LISINOPRIL, "2022-01-01"),
                (COMBINATION, "2022-03-25"),
                (COMBINATION, "2022-07-05"),
                (COMBINATION, "2022-09-25"),
            ],
            0.986301,
        ),
        (
            [
                (LISINOPRIL, "2022-01-02"),
                (LISINOPRIL, "2022-03-25"),
                (LOSARTAN, "2022-03-25"),
                (LOSARTAN, "2022-07-05"),
                (LOSARTAN, "2022-09-25"),
            ],
            0.989011,
        ),
    ],
    ids=["switch within class", "combination product", "concurrent use"],
)
async def test_class_cases_on_the_patient(
    gql: GraphQLClient,
    resources: Resources,
    doctor: Account,
    fills: list[tuple[str, str]],
    pdc: float,
) -> None:
    pid = await holding(gql, resources, doctor, fills)
    assert round((await adherence(gql, doctor, pid, **YEAR))["adherence"]["pdc"], 6) == pdc


async def test_a_fill_before_the_window_counts_for_the_days_it_reaches(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    pid = await holding(gql, resources, doctor, [(LISINOPRIL, "2021-12-01")])
    # Covers 2021-12-01 to 2022-02-28: 59 days of January and February.
    result = await adherence(gql, doctor, pid, **{"from": "2022-01-01", "to": "2022-03-31"})
    assert round(result["adherence"]["pdc"], 6) == round(59 / 90, 6)


async def test_null_without_fills_or_due_doses(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    pid = str(await patient(resources, doctor, "Nobody", timezone="Europe/London"))
    result = (await adherence(gql, doctor, pid, days=30))["adherence"]
    assert (result["pdc"], result["mpr"], result["doseAdherence"], result["onTimeRate"]) == (
        None,
        None,
        None,
        None,
    )
    assert result["scheduled"] == 0 and len(result["daily"]) == 30


async def test_window_forms_are_exclusive(
    gql: GraphQLClient, resources: Resources, doctor: Account
) -> None:
    pid = str(await patient(resources, doctor, "Nobody", timezone="Europe/London"))
    for window in (
        {},
        {"days": 3, "from": "2026-01-01", "to": "2026-01-02"},
        {"days": 0},
        {"from": "2026-01-05", "to": "2026-01-01"},
        {"from": "2026-01-05"},
    ):
        body = await gql.raw(RX_ADHERENCE, {"id": pid, **window}, token=doctor.now_token)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", window


async def test_dose_adherence_grace_period_and_daily_rows_across_dst(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    clock.set(datetime(2026, 3, 6, 20, tzinfo=UTC))
    pid = str(await patient(resources, doctor, "Dot", timezone="America/New_York"))
    out = (
        await gql.data(
            PRESCRIBE, prescription(pid, LISINOPRIL, startDate="2026-03-07"), token=doctor.now_token
        )
    )["prescribe"]
    assert out["errors"] == []
    doses = (
        await gql.data(
            'query($id: ID!) { patient(id: $id) { doses(from: "2026-03-07T00:00:00Z", '
            'to: "2026-03-10T00:00:00Z") { id scheduledAt } } }',
            {"id": pid},
            token=doctor.now_token,
        )
    )["patient"]["doses"]
    assert [d["scheduledAt"] for d in doses] == [
        "2026-03-07T13:00:00Z",
        "2026-03-08T12:00:00Z",
        "2026-03-09T12:00:00Z",
    ]
    # 7th taken on time, 8th taken 2 hours late, 9th: now 08:30 local, in its grace period.
    clock.set(datetime(2026, 3, 7, 13, 10, tzinfo=UTC))
    await gql.data(
        RECORD_DOSE, {"doseId": doses[0]["id"], "status": "TAKEN"}, token=doctor.now_token
    )
    clock.set(datetime(2026, 3, 8, 14, tzinfo=UTC))
    await gql.data(
        RECORD_DOSE, {"doseId": doses[1]["id"], "status": "TAKEN"}, token=doctor.now_token
    )
    clock.set(datetime(2026, 3, 9, 12, 30, tzinfo=UTC))
    async with transaction(resources.sessions) as session:
        await mark_missed(session, clock.now(), timedelta(minutes=60))
    result = await adherence(gql, doctor, pid, **{"from": "2026-03-07", "to": "2026-03-09"})
    day = result["adherence"]
    assert (day["scheduled"], day["taken"], day["missed"], day["skipped"]) == (3, 2, 0, 0)
    assert day["doseAdherence"] == 1.0
    assert day["onTimeRate"] == 0.5
    assert day["daily"] == [
        {"date": "2026-03-07", "scheduled": 1, "taken": 1},
        {"date": "2026-03-08", "scheduled": 1, "taken": 1},
        {"date": "2026-03-09", "scheduled": 1, "taken": 0},
    ]
    clock.set(datetime(2026, 3, 9, 13, 1, tzinfo=UTC))
    async with transaction(resources.sessions) as session:
        await mark_missed(session, clock.now(), timedelta(minutes=60))
    after = (await adherence(gql, doctor, pid, days=3))["adherence"]
    assert (after["taken"], after["missed"]) == (2, 1)
    assert round(after["doseAdherence"], 6) == round(2 / 3, 6)
