"""The report costs a fixed number of SQL statements, whatever the number of
medicines: every figure comes through batched loaders (tests/test_query_counts.py
pins the GraphQL documents the same way)."""

from __future__ import annotations

import httpx

from prescripcare.drugs.seed import SeedReport
from tests.conftest import GraphQLClient, StatementCounter
from tests.prescriptions.documents import PRESCRIBE, RECORD_FILL, prescription
from tests.reports.download import WINDOW, download, path
from tests.reports.history import History

# Viewer, patient, then the loaders' batches, the missed/late list and its
# count, and the audit entry. A change here must be deliberate.
PIN_REPORT = 15
MORE = ["11289", "7646", "4493", "36437"]


async def statements(client: httpx.AsyncClient, history: History, counter: StatementCounter) -> int:
    counter.count = 0
    answer = await download(client, path(history, **WINDOW), history.doctor)
    assert answer.status_code == 200
    return counter.count


async def test_the_report_costs_the_same_for_3_and_7_medicines(
    client: httpx.AsyncClient,
    gql: GraphQLClient,
    history: History,
    count_statements: StatementCounter,
    catalog: SeedReport,
) -> None:
    three = await statements(client, history, count_statements)
    for drug in MORE:
        out = (
            await gql.data(
                PRESCRIBE,
                prescription(
                    history.patient_id,
                    drug,
                    startDate="2025-10-01",
                    schedule={"timesOfDay": ["09:00"]},
                    acknowledgeInteractions=True,
                    overrideReason="statement count",
                ),
                token=history.doctor.now_token,
            )
        )["prescribe"]
        assert out["errors"] == [], out
        filled = await gql.data(
            RECORD_FILL,
            {
                "input": {
                    "prescriptionId": out["prescription"]["id"],
                    "filledOn": "2025-12-01",
                    "daysSupply": 30,
                }
            },
            token=history.doctor.now_token,
        )
        assert filled["recordFill"]["errors"] == []
    seven = await statements(client, history, count_statements)
    assert (three, seven) == (PIN_REPORT, PIN_REPORT), count_statements.statements
