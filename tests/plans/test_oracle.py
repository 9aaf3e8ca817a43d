"""The conformance oracle: the contract's query documents and random valid
documents from schema.graphql, for every role, answer the same through the
planned path and the reference executor (data, nulls, errors with paths,
messages and codes, audited reads). PLAN_ORACLE_EXAMPLES sets how many
random documents (CI: a few dozen; bench/plans_oracle.py: thousands)."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from prescripcare.clock import SettableClock
from prescripcare.graphql.context import Context
from prescripcare.graphql.schema import schema
from prescripcare.plans import fields
from prescripcare.plans.registry import swapped
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.plans.documents import collect, dress
from tests.plans.oracle import Oracle
from tests.plans.run import check_contract, check_generated
from tests.plans.world import World, build_world

EXAMPLES = int(os.environ.get("PLAN_ORACLE_EXAMPLES", "40"))
SEED = int(os.environ.get("PLAN_ORACLE_SEED", "13"))


@pytest.fixture
async def world(
    resources: Resources, gql: GraphQLClient, clock: SettableClock, catalog: object
) -> World:
    return await build_world(resources, gql, clock, SEED)


async def test_contract_documents_agree_for_every_role(resources: Resources, world: World) -> None:
    tally = await check_contract(Oracle.for_resources(resources), world)
    # Every contract read the apps send is answered by its plan for someone.
    assert {"PatientList", "PatientDashboard", "Me"} <= tally.planned_operations, tally


async def test_generated_documents_agree_for_every_role(resources: Resources, world: World) -> None:
    assert world.now is not None
    documents = collect(schema._schema, world.patient_ids, world.now, EXAMPLES, SEED)
    tally = await check_generated(
        Oracle.for_resources(resources), world, documents, random.Random(SEED)
    )
    print(tally)
    # Not a vacuous pass: a good share really took the planned path.
    assert tally.planned >= tally.compared // 4, tally


async def _drops_the_last_prescription(
    ctx: Context, parents: Sequence[Any], args: Mapping[str, Any]
) -> list[Any]:
    answers = await fields.patients.prescriptions(ctx, parents, args)
    return [group[:-1] for group in answers]


async def test_a_broken_plan_fails_the_oracle(resources: Resources, world: World) -> None:
    """A planted defect (each patient's list of prescriptions one short) is
    caught by the same check the oracle runs."""
    with (
        swapped("Patient", "prescriptions", _drops_the_last_prescription),
        pytest.raises(AssertionError, match="planned and reference answers differ"),
    ):
        await check_contract(Oracle.for_resources(resources), world)


def test_dressing_is_valid_and_uses_every_feature(world: World) -> None:
    assert world.now is not None
    documents = collect(schema._schema, world.patient_ids, world.now, 30, SEED)
    rng = random.Random(SEED)
    texts = "\n".join(dress(schema._schema, d, rng).text for d in documents)
    for feature in ("__typename", "fragment F", "... on", "@include(if: $v", "@skip(", ": $v"):
        assert feature in texts, feature
