"""Query cost: a document asking for too much work is refused with
QUERY_TOO_COMPLEX before any resolver or SQL statement runs, while every
contract document, with the largest variables a client sends, fits easily."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import OperationDefinitionNode, parse

from prescripcare.auth.models import Role
from prescripcare.graphql.cost import operation_cost
from prescripcare.graphql.schema import build_schema, schema
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import StatementCounter
from tests.contract.documents import contract_document
from tests.factories import account
from tests.security.bomb import BOMB, WINDOW

# The largest values the clients send: the biggest page, the longest dose window.
WORST_VARIABLES: dict[str, dict[str, Any]] = {
    "PatientList": {"first": 100, "search": "ann"},
    "PatientDashboard": {
        "id": "x",
        "from": "2026-01-01T00:00:00Z",
        "to": "2026-04-04T00:00:00Z",  # 93 days
    },
    "DrugSearch": {"q": "war", "first": 50},
    "InteractionCheck": {"rxcuis": [str(n) for n in range(10)]},
    "AuditLog": {"first": 100},
}


def test_every_contract_operation_costs_well_under_the_limit() -> None:
    limit = Settings.model_construct().graphql_max_cost
    document = contract_document()
    costs = {
        op.name.value: operation_cost(
            schema._schema, document, op.name.value, WORST_VARIABLES.get(op.name.value, {})
        )
        for op in document.definitions
        if isinstance(op, OperationDefinitionNode) and op.name
    }
    assert costs["PatientList"] > 1000  # the page size counts
    assert costs["PatientDashboard"] > 500  # and so does the 93-day window
    too_dear = {name: cost for name, cost in costs.items() if cost * 2 > limit}
    assert not too_dear, f"over half of GRAPHQL_MAX_COST={limit}: {too_dear}"


def test_first_is_clamped_like_the_resolver_and_windows_count_days() -> None:
    document = parse(BOMB)
    a_week = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-08T00:00:00Z"}

    def cost(variables: dict[str, Any]) -> int:
        return operation_cost(schema._schema, document, None, variables)

    assert cost({"first": 1000, **WINDOW}) == cost({"first": 100, **WINDOW})
    assert cost({**WINDOW}) == cost({"first": 20, **WINDOW})  # the default page
    assert cost({"first": 10, **WINDOW}) == 10 * cost({"first": 1, **WINDOW})
    assert cost({"first": 1, **WINDOW}) > 10 * cost({"first": 1, **a_week})


async def test_a_cost_bomb_is_refused_before_execution(
    client: httpx.AsyncClient, resources: Resources, count_statements: StatementCounter
) -> None:
    token = (await account(resources, Role.CLINICIAN)).token
    headers = {"Authorization": f"Bearer {token}"}
    count_statements.count = 0

    refused = await client.post(
        "/graphql", json={"query": BOMB, "variables": {"first": 100, **WINDOW}}, headers=headers
    )
    body = refused.json()
    assert body.get("data") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["maxCost"] == 5000
    assert error["extensions"]["cost"] > 5000
    assert "over the limit of 5000" in error["message"]
    assert count_statements.count <= 1  # the token check only, no resolver

    small = await client.post(
        "/graphql", json={"query": BOMB, "variables": {"first": 5, **WINDOW}}, headers=headers
    )
    assert small.json() == {"data": {"patients": {"edges": []}}}


async def test_the_limit_is_a_setting(migrated: Settings) -> None:
    strict = build_schema(migrated.model_copy(update={"graphql_max_cost": 100}))
    result = await strict.execute(BOMB, variable_values={"first": 1, **WINDOW})
    assert result.errors
    assert result.errors[0].extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": operation_cost(strict._schema, parse(BOMB), None, {"first": 1, **WINDOW}),
        "maxCost": 100,
    }
