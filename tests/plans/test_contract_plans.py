"""The contract's read documents are answered by their plans, exactly as the
reference executor answers them."""

from __future__ import annotations

from datetime import timedelta

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
    cases = [
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
