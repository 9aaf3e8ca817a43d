"""A clinician's list, patients at risk first: filtered and ordered by dose
adherence, with stable cursors and a fixed number of statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.doses.missed import mark_missed
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import Account, patient
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, prescription

LIST = """
query($first: Int, $after: String, $below: Float, $order: PatientOrder) {
  patients(first: $first, after: $after, adherenceBelow: $below, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { name adherence(days: 30) { doseAdherence } } }
  }
}"""


async def _clinic(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    takes: dict[str, int | None],
) -> None:
    """Each patient has 4 daily doses due over 4 days and took `takes` of them
    (None: no prescription, nothing to count)."""
    clock.set(datetime(2026, 2, 1, 6, tzinfo=UTC))
    doses: dict[str, list[str]] = {}
    for name, taken in takes.items():
        pid = str(await patient(resources, doctor, name, timezone="Europe/London"))
        if taken is None:
            continue
        out = (
            await gql.data(
                PRESCRIBE, prescription(pid, "6809", startDate="2026-02-01"), token=doctor.now_token
            )
        )["prescribe"]
        assert out["errors"] == []
        data = await gql.data(
            'query($id: ID!) { patient(id: $id) { doses(from: "2026-02-01T00:00:00Z", '
            'to: "2026-02-05T00:00:00Z") { id } } }',
            {"id": pid},
            token=doctor.now_token,
        )
        doses[name] = [d["id"] for d in data["patient"]["doses"]][:taken]
    clock.set(datetime(2026, 2, 4, 9, tzinfo=UTC))
    for ids in doses.values():
        for dose in ids:
            await gql.data(RECORD_DOSE, {"doseId": dose, "status": "TAKEN"}, token=doctor.now_token)
    clock.set(datetime(2026, 2, 5, 8, 30, tzinfo=UTC))  # the 5th's dose: in its grace period
    async with transaction(resources.sessions) as session:
        await mark_missed(session, clock.now(), timedelta(minutes=60))


async def page(gql: GraphQLClient, who: Account, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await gql.data(LIST, variables, token=who.now_token))["patients"]
    return found


async def test_patients_at_risk_come_first_across_pages(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    await _clinic(
        gql, resources, clock, doctor, {"Ann": 4, "Bob": 2, "Cy": 0, "Di": None, "Ed": 3, "Flo": 2}
    )
    names, after = [], None
    while True:
        found = await page(gql, doctor, first=2, after=after, order="DOSE_ADHERENCE_ASC")
        names += [
            (e["node"]["name"], e["node"]["adherence"]["doseAdherence"]) for e in found["edges"]
        ]
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    assert names == [
        ("Cy", 0.0),
        ("Bob", 0.5),
        ("Flo", 0.5),
        ("Ed", 0.75),
        ("Ann", 1.0),
        ("Di", None),
    ]
    risky = await page(gql, doctor, below=0.8, order="DOSE_ADHERENCE_ASC")
    assert [e["node"]["name"] for e in risky["edges"]] == ["Cy", "Bob", "Flo", "Ed"]
    assert risky["totalCount"] == 4
    by_name = await page(gql, doctor, below=0.6)
    assert [e["node"]["name"] for e in by_name["edges"]] == ["Bob", "Cy", "Flo"]


async def test_a_cursor_keeps_its_place_when_adherence_changes(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, doctor: Account
) -> None:
    await _clinic(gql, resources, clock, doctor, {"Ann": 4, "Bob": 2, "Cy": 0})
    first = await page(gql, doctor, first=1, order="DOSE_ADHERENCE_ASC")
    assert [e["node"]["name"] for e in first["edges"]] == ["Cy"]
    rest = await page(
        gql, doctor, first=5, after=first["pageInfo"]["endCursor"], order="DOSE_ADHERENCE_ASC"
    )
    assert [e["node"]["name"] for e in rest["edges"]] == ["Bob", "Ann"]
    bad = await gql.raw(LIST, {"after": first["pageInfo"]["endCursor"]}, token=doctor.now_token)
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    out_of_range = await gql.raw(LIST, {"below": 1.5}, token=doctor.now_token)
    assert out_of_range["errors"][0]["extensions"]["field"] == "adherenceBelow"


async def test_ordering_by_adherence_costs_fixed_statements(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    count_statements: StatementCounter,
) -> None:
    await _clinic(gql, resources, clock, doctor, {"Ann": 4, "Bob": 2})
    count_statements.count = 0
    await page(gql, doctor, first=50, order="DOSE_ADHERENCE_ASC", below=0.9)
    small = count_statements.count
    await _clinic(gql, resources, clock, doctor, {f"P{i}": i % 5 for i in range(12)})
    count_statements.count = 0
    found = await page(gql, doctor, first=50, order="DOSE_ADHERENCE_ASC", below=0.9)
    assert len(found["edges"]) > 2
    assert count_statements.count == small
