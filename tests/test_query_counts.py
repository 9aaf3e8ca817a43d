"""The dashboard and the patient list cost a fixed number of SQL statements,
whatever the number of prescriptions, doses or patients. Later issues keep
these pins as they add fields."""

from __future__ import annotations

from datetime import timedelta

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.materialize import extend_horizons
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.conftest import START, GraphQLClient, StatementCounter
from tests.factories import Account, account, patient
from tests.pins import DASHBOARD, PATIENT_LIST, PIN_DASHBOARD, PIN_LIST
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, RECORD_FILL, prescription

# Ten common drugs; prescribed with the gate acknowledged, whatever they do.
DRUGS = ["11289", "1191", "7646", "36567", "6809", "29046", "4493", "36437", "5487", "32968"]


async def _prescribe(gql: GraphQLClient, doctor: Account, pid: str, drugs: list[str]) -> None:
    """Each drug prescribed twice a day from a month ago, with a fill."""
    start = (START - timedelta(days=30)).date().isoformat()
    for drug in drugs:
        out = (
            await gql.data(
                PRESCRIBE,
                prescription(
                    pid,
                    drug,
                    startDate=start,
                    schedule={"timesOfDay": ["08:00", "20:00"]},
                    acknowledgeInteractions=True,
                    overrideReason="benchmark patient",
                ),
                token=doctor.now_token,
            )
        )["prescribe"]
        assert out["errors"] == [], out
        fill = (
            await gql.data(
                RECORD_FILL,
                {
                    "input": {
                        "prescriptionId": out["prescription"]["id"],
                        "filledOn": start,
                        "daysSupply": 30,
                    }
                },
                token=doctor.now_token,
            )
        )["recordFill"]
        assert fill["errors"] == [], fill


async def _dashboard_statements(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    counter: StatementCounter,
    drugs: int,
) -> int:
    doctor = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, doctor, f"Patient with {drugs}", timezone="Europe/London"))
    clock.set(START - timedelta(days=30))
    await _prescribe(gql, doctor, pid, DRUGS[:drugs])
    # A month of history: the horizon job runs as days pass, doses get recorded.
    for _ in range(30):
        clock.advance(timedelta(days=1))
        async with transaction(resources.sessions) as session:
            await extend_horizons(session, clock.now(), timedelta(days=14))
    data = await gql.data(
        "query($id: ID!, $f: DateTime!, $t: DateTime!) { patient(id: $id) "
        "{ doses(from: $f, to: $t) { id } } }",
        {
            "id": pid,
            "f": (clock.now() - timedelta(hours=3)).isoformat(),
            "t": clock.now().isoformat(),
        },
        token=doctor.now_token,
    )
    for dose in data["patient"]["doses"]:
        await gql.data(
            RECORD_DOSE, {"doseId": dose["id"], "status": "TAKEN"}, token=doctor.now_token
        )
    counter.count = 0
    result = await gql.data(
        DASHBOARD,
        {
            "id": pid,
            "from": (clock.now() - timedelta(days=30)).isoformat(),
            "to": clock.now().isoformat(),
        },
        token=doctor.now_token,
    )
    body = result["patient"]
    assert len(body["prescriptions"]) == drugs
    assert len(body["doses"]) >= 2 * drugs * 29
    return counter.count


async def test_dashboard_costs_the_same_for_2_and_10_prescriptions(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    count_statements: StatementCounter,
    catalog: SeedReport,
) -> None:
    small = await _dashboard_statements(gql, resources, clock, count_statements, 2)
    large = await _dashboard_statements(gql, resources, clock, count_statements, 10)
    assert (small, large) == (PIN_DASHBOARD, PIN_DASHBOARD), count_statements.statements


async def test_patient_list_costs_the_same_for_10_and_50_patients(
    gql: GraphQLClient,
    resources: Resources,
    count_statements: StatementCounter,
    catalog: SeedReport,
) -> None:
    counts = []
    for size in (10, 50):
        doctor = await account(resources, Role.CLINICIAN)
        for i in range(size):
            pid = str(await patient(resources, doctor, f"P{i:03d}", timezone="Asia/Kolkata"))
            await _prescribe(gql, doctor, pid, DRUGS[i % 5 : i % 5 + 2])
        count_statements.count = 0
        data = await gql.data(PATIENT_LIST, {"first": 50}, token=doctor.now_token)
        edges = data["patients"]["edges"]
        assert len(edges) == size
        assert all(len(e["node"]["prescriptions"]) == 2 and e["node"]["nextDose"] for e in edges)
        assert all(e["node"]["adherence"]["pdc"] is not None for e in edges)
        counts.append(count_statements.count)
    assert counts == [PIN_LIST, PIN_LIST], count_statements.statements
