"""SQL and script injection in every string argument of every contract
operation: refused with a contract code or stored verbatim, never a server
error, and a refusal writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from prescripcare.auth.models import Role
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.security.conftest import Hostile, row_counts
from tests.security.operations import HTTP_OPERATIONS, MAY_RUN, Operation, dotted, with_value
from tests.security.verdict import answer, strings_in
from tests.security.world import BASELINES, World, build_world

HOSTILE_STRINGS = [
    "' OR 1=1 --",
    "'; DROP TABLE patients; --",
    "a\x00b",  # PostgreSQL text cannot hold NUL
    "A" * 20_000,  # longer than any column
    "Zoë 李 🙂 e\u0301 \u202eevil\ufeff",
    "\ud800",  # an unpaired surrogate
    "<script>alert(1)</script>",
]

# Dates, times and IDs are parsed before anything touches the database.
PARSED_SCALAR_STRINGS = [HOSTILE_STRINGS[0], HOSTILE_STRINGS[2], HOSTILE_STRINGS[6]]
# Baselines that write (a fresh prescription, login or patient): counted again after.
WRITING_BASELINES = {
    "RefreshToken",
    "Logout",
    "UpdatePrescription",
    "DiscontinuePrescription",
    "SnoozeReminder",
    "ErasePatient",
}

# Free text that is stored as typed: when accepted, it must come back exactly.
FREE_TEXT = {
    ("CreatePatient", "input.name"),
    ("UpdatePatient", "input.name"),
    ("Prescribe", "input.sig"),
    ("Prescribe", "input.dose.unit"),
    ("UpdatePrescription", "input.sig"),
    ("UpdatePrescription", "input.dose.unit"),
    ("DiscontinuePrescription", "reason"),
}

READ_BACK = """
query ReadBack($id: ID!) {
  patient(id: $id) { name prescriptions { sig statusReason dose { unit } } }
}"""


@pytest.fixture
async def world(production_resources: Resources, hostile: Hostile, catalog: SeedReport) -> World:
    return await build_world(production_resources, hostile)


async def test_every_baseline_is_accepted_for_every_role_that_may_run_it(
    world: World, hostile: Hostile
) -> None:
    """Otherwise the injection test below would only ever see refusals."""
    refused = {}
    # The patient erasing themself ends their account: that goes last.
    for op in sorted(HTTP_OPERATIONS, key=lambda op: op.name == "ErasePatient"):
        for role in MAY_RUN[op.name] if op.served else ():
            variables = await BASELINES[op.name](world, role, hostile)
            got = answer(await hostile.post(op.document, variables, world.token(role)), op.field)
            if got.refused:
                refused[op.name, role] = got.body
    assert refused == {}


@pytest.mark.parametrize("op", [op for op in HTTP_OPERATIONS if op.strings], ids=lambda o: o.name)
async def test_hostile_strings_in_every_string_argument(
    op: Operation, world: World, hostile: Hostile, production_resources: Resources
) -> None:
    if not op.served:
        pytest.skip(f"{op.name} is not served yet")
    roles = MAY_RUN[op.name]
    faults: list[Any] = []
    counts = await row_counts(production_resources)
    for path, scalar in op.strings:
        field = dotted(path)
        strings = HOSTILE_STRINGS if scalar == "String" else PARSED_SCALAR_STRINGS
        for index, evil in enumerate(strings):
            # Every role that may run the operation, in turn (not every
            # combination, to keep the suite fast).
            role: Role | None = roles[index % len(roles)]
            variables = with_value(await BASELINES[op.name](world, role, hostile), path, evil)
            if op.name in WRITING_BASELINES:
                counts = await row_counts(production_resources)
            got = answer(await hostile.post(op.document, variables, world.token(role)), op.field)
            where = (field, evil[:40], role)
            faults += [(*where, fault) for fault in got.faults()]
            after = await row_counts(production_resources)
            if got.refused and after != counts:
                faults.append((*where, "a refused request wrote rows"))
            counts = after
            if not got.refused and (op.name, field) in FREE_TEXT:
                back = await hostile.post(READ_BACK, {"id": world.patient_id}, world.token(role))
                if evil not in strings_in(got.body) | strings_in(back.json()):
                    faults.append((*where, "accepted but not stored verbatim"))
    assert faults == []


async def test_a_nul_in_a_document_literal_is_bad_user_input(
    world: World, hostile: Hostile
) -> None:
    query = 'query { drugs(search: "lisino\\u0000pril") { rxcui } }'
    got = answer(await hostile.post(query, None, world.clinician.token), "drugs")
    assert got.top_codes == ["BAD_USER_INPUT"]
    assert got.body["errors"][0]["extensions"]["field"] == "search"
    assert got.body["data"] is None
