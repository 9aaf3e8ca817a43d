"""The oracle's loops, shared by the test suite and bench/plans_oracle.py."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from graphql import DocumentNode

from prescripcare.graphql.schema import schema
from prescripcare.graphql.trusted import contract_manifest
from tests.plans.documents import dress
from tests.plans.oracle import Oracle
from tests.plans.world import World

# Every role, a second clinician who sees fewer patients, and no one.
VIEWERS: list[str | None] = [
    "ADMIN",
    "CLINICIAN",
    "OTHER_CLINICIAN",
    "CAREGIVER",
    "PATIENT",
    None,
]


# Reading the audit trail is itself recorded in it.
SELF_CHANGING = {"AuditLog"}


@dataclass
class Tally:
    compared: int = 0
    planned: int = 0
    with_errors: int = 0
    planned_operations: set[str] = field(default_factory=set)


async def agree(
    oracle: Oracle,
    world: World,
    viewer: str | None,
    text: str,
    variables: dict[str, Any],
    name: str | None,
    tally: Tally,
) -> None:
    token = world.viewers[viewer].now_token if viewer else None
    planned, reference = await oracle.compare(token, text, variables, name)
    if name in SELF_CHANGING:
        # Each read of the trail appends to it: two runs cannot agree. It has
        # no plan, so both runs took the reference path.
        assert not planned.planned
        return
    if planned.body != reference.body or sorted(planned.reads, key=str) != sorted(
        reference.reads, key=str
    ):
        raise AssertionError(
            "planned and reference answers differ\n"
            f"viewer: {viewer}\ndocument:\n{text}\nvariables: {json.dumps(variables)}\n"
            f"planned:   {json.dumps(planned.body, sort_keys=True)[:3000]}\n"
            f"reference: {json.dumps(reference.body, sort_keys=True)[:3000]}\n"
            f"reads planned {sorted(map(str, planned.reads))} "
            f"reference {sorted(map(str, reference.reads))}"
        )
    assert not reference.planned
    tally.compared += 1
    tally.planned += planned.planned
    tally.with_errors += "errors" in reference.body
    if planned.planned and name:
        tally.planned_operations.add(name)


def _contract_queries() -> dict[str, str]:
    """The manifest's query operations by name (mutations never take the
    planned path: each would run twice here)."""
    out = {}
    for text in contract_manifest().values():
        head = text.lstrip()
        if head.startswith("query"):
            out[head.split()[1].split("(")[0]] = text
    return out


def contract_cases(world: World) -> list[tuple[str, dict[str, Any]]]:
    assert world.now is not None
    now = world.now
    window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
    cases: list[tuple[str, dict[str, Any]]] = [
        ("PatientList", {"first": 50}),
        ("PatientList", {"first": 2}),
        ("PatientList", {"first": 3, "search": "patient"}),
        ("PatientList", {"first": 5, "after": "not-a-cursor"}),
        ("Me", {}),
        ("DrugSearch", {"q": "lisin", "first": 3}),
        ("Drug", {"rxcui": "29046"}),
        ("InteractionCheck", {"rxcuis": ["11289", "1191"]}),
        ("PatientDashboard", {"id": "not-an-id", **window}),
        (
            "PatientDashboard",
            {"id": world.patient_ids[0], "from": window["to"], "to": window["from"]},
        ),
    ]
    for pid in world.patient_ids:
        cases.append(("PatientDashboard", {"id": pid, **window}))
        cases.append(("AuditLog", {"patientId": pid, "first": 3}))
    return cases


async def check_contract(oracle: Oracle, world: World) -> Tally:
    documents = _contract_queries()
    tally = Tally()
    for viewer in VIEWERS:
        for name, variables in contract_cases(world):
            await agree(oracle, world, viewer, documents[name], variables, name, tally)
    return tally


async def check_generated(
    oracle: Oracle, world: World, documents: Sequence[DocumentNode], rng: random.Random
) -> Tally:
    tally = Tally()
    for document in documents:
        dressed = dress(schema._schema, document, rng)
        for viewer in VIEWERS:
            await agree(oracle, world, viewer, dressed.text, dressed.variables, None, tally)
    return tally
