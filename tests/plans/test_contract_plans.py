"""The contract's read documents are answered by their plans, exactly as the
reference executor answers them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prescripcare.auth.models import Role
from prescripcare.graphql.trusted import contract_operation
from prescripcare.resources import Resources
from tests.conftest import START, GraphQLClient
from tests.factories import Account, account
from tests.plans.oracle import Oracle
from tests.prescriptions.documents import PRESCRIBE, prescription


async def test_patient_list_and_dashboard_are_planned(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    start = (START - timedelta(days=10)).date().isoformat()
    for drug in ["11289", "1191"]:
        out = await gql.data(
            PRESCRIBE,
            prescription(
                patient_id,
                drug,
                startDate=start,
                schedule={"timesOfDay": ["08:00", "20:00"]},
                acknowledgeInteractions=True,
                overrideReason="test",
            ),
            token=doctor.token,
        )
        assert out["prescribe"]["errors"] == [], out
    oracle = Oracle.for_resources(resources)
    now = resources.clock.now()
    cases: list[tuple[str, dict[str, Any]]] = [
        ("PatientList", {"first": 50}),
        (
            "PatientDashboard",
            {
                "id": patient_id,
                "from": (now - timedelta(days=30)).isoformat(),
                "to": (now + timedelta(days=1)).isoformat(),
            },
        ),
        ("Me", {}),
    ]
    for name, variables in cases:
        planned, reference = await oracle.compare(
            doctor.token, contract_operation(name), variables, name
        )
        assert planned.planned, name
        assert not reference.planned
        assert planned.body == reference.body, name
        assert planned.reads == reference.reads, name
    other = await account(resources, Role.CLINICIAN)
    planned, reference = await oracle.compare(
        other.token,
        contract_operation("PatientDashboard"),
        {"id": patient_id, "from": now.isoformat(), "to": (now + timedelta(days=1)).isoformat()},
        "PatientDashboard",
    )
    assert planned.body == reference.body
    assert planned.body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


FEATURES = """
query Features($id: ID!, $days: Int!, $withDoses: Boolean!, $from: DateTime!, $to: DateTime!) {
  who: patient(id: $id) {
    __typename
    ...Card
    rx: prescriptions {
      ... on Prescription { id status }
      later: nextDose @include(if: $withDoses) { scheduledAt }
      drug { ...Drug }
      adherence(days: $days) { taken daily { date } }
    }
    doses(from: $from, to: $to) @skip(if: $withDoses) { id }
  }
}
fragment Card on Patient { id name quietHours { start } reminderChannels }
fragment Drug on Drug { name ingredients { rxcui atcCodes } }
"""


async def test_aliases_fragments_directives_and_variables_are_planned(
    gql: GraphQLClient, resources: Resources, doctor: Account, patient_id: str
) -> None:
    out = await gql.data(
        PRESCRIBE,
        prescription(patient_id, "29046", acknowledgeInteractions=True, overrideReason="t"),
        token=doctor.token,
    )
    assert out["prescribe"]["errors"] == [], out
    oracle = Oracle.for_resources(resources)
    now = resources.clock.now()
    base = {
        "id": patient_id,
        "days": 7,
        "from": (now - timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=2)).isoformat(),
    }
    for with_doses in (True, False):
        planned, reference = await oracle.compare(
            doctor.token, FEATURES, {**base, "withDoses": with_doses}
        )
        assert planned.planned and planned.body == reference.body
        assert planned.reads == reference.reads
        who = planned.body["data"]["who"]
        assert who["__typename"] == "Patient" and ("doses" in who) is not with_doses
        assert ("later" in who["rx"][0]) is with_doses
    # An argument the resolver refuses: the plan gives way, the answer and
    # its error are graphql-core's.
    for wrong in ({"days": 0}, {"to": base["from"], "from": base["to"]}):
        planned, reference = await oracle.compare(
            doctor.token, FEATURES, {**base, **wrong, "withDoses": False}
        )
        assert not planned.planned and planned.body == reference.body
        assert planned.body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert planned.reads == reference.reads
    # No token: UNAUTHENTICATED, as before.
    planned, reference = await oracle.compare(None, FEATURES, {**base, "withDoses": True})
    assert planned.body == reference.body
    assert planned.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_cost_limit_answers_before_the_planner(
    resources: Resources, doctor: Account
) -> None:
    greedy = """
    query Greedy($from: DateTime!, $to: DateTime!) {
      patients(first: 100) { edges { node {
        doses(from: $from, to: $to) { id reminders { status } prescription { drug { name } } }
      } } }
    }"""
    window = {"from": "2026-01-01T00:00:00Z", "to": "2026-04-04T00:00:00Z"}
    oracle = Oracle.for_resources(resources)
    planned, reference = await oracle.compare(doctor.token, greedy, window)
    assert not planned.planned and planned.body == reference.body
    assert planned.body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
