"""The load benchmark's clinic (bench/loadbench/seed.py) seeds against the
current schema, and the API answers the contract's PatientList over it at
the pinned statement count, as the benchmark assumes."""

from __future__ import annotations

import sys
from pathlib import Path

from prescripcare.auth.models import User
from prescripcare.clock import SettableClock
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient, StatementCounter
from tests.pins import PATIENT_LIST, PIN_LIST

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from loadbench.seed import HISTORY_DAYS, HORIZON_DAYS, counts, seed_clinic


async def test_a_small_clinic_seeds_and_lists_at_the_pinned_cost(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    count_statements: StatementCounter,
    catalog: SeedReport,
) -> None:
    clinic = await seed_clinic(resources, 5, clock.now(), analyze=False)
    async with resources.sessions() as session:
        seeded = await counts(session)
        user = await session.get_one(User, clinic.clinician_id)
        token = (await resources.auth.sign_in(session, user, clock.now())).access_token
        await session.commit()
    # Two drugs twice a day and three once a day, every day of the history,
    # today and the horizon; a fill a month; last week's SMS reminders.
    days = HISTORY_DAYS + HORIZON_DAYS + 1
    assert seeded["patients"] == 5
    assert seeded["prescriptions"] == 25
    assert seeded["doses"] == 5 * 7 * days
    assert seeded["fills"] == 25 * 4
    assert 0 < seeded["reminders"] <= 5 * 7 * 8

    count_statements.count = 0
    data = await gql.data(PATIENT_LIST, {"first": 50}, token=token)
    edges = data["patients"]["edges"]
    assert len(edges) == 5
    assert [e["node"]["name"] for e in edges] == sorted(e["node"]["name"] for e in edges)
    for edge in edges:
        node = edge["node"]
        assert len(node["prescriptions"]) == 5
        assert node["nextDose"] is not None
        assert 0.6 < node["adherence"]["doseAdherence"] < 1
        assert node["adherence"]["pdc"] is not None
    assert count_statements.count == PIN_LIST, count_statements.statements
