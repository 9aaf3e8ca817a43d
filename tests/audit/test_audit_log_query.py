"""The contract's `AuditLog`: the patient's own trail or, for ADMIN, any
patient's; newest first, in opaque pages of 1..100; actors resolved without
one query per entry; reading the trail is itself recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.resources import Resources
from tests.audit.helpers import AUDIT_LOG, PATIENT
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import Account, account, patient
from tests.patients.documents import LINK_CAREGIVER


async def _trail(gql: GraphQLClient, who: Account, pid: object, **args: Any) -> dict[str, Any]:
    data = await gql.data(AUDIT_LOG, {"patientId": str(pid), **args}, token=who.token)
    trail: dict[str, Any] = data["auditLog"]
    return trail


async def test_a_patient_reads_their_own_trail_newest_first(
    gql: GraphQLClient, resources: Resources
) -> None:
    me = await account(resources, Role.PATIENT)
    caregiver = await account(resources, Role.CAREGIVER)
    linked = await gql.data(
        LINK_CAREGIVER, {"patientId": str(me.patient_id), "email": caregiver.email}, token=me.token
    )
    assert linked["linkCaregiver"]["errors"] == []
    await gql.data(PATIENT, {"id": str(me.patient_id)}, token=caregiver.token)
    trail = await _trail(gql, me, me.patient_id)
    nodes = [e["node"] for e in trail["edges"]]
    assert [(n["action"], n["actor"]["email"]) for n in nodes] == [
        ("PATIENT_READ", caregiver.email),
        ("CAREGIVER_LINKED", me.email),
        ("USER_REGISTERED", me.email),
    ]
    assert nodes[0]["entity"] == "Patient" and nodes[0]["entityId"] == str(me.patient_id)
    assert nodes[0]["actor"] == {
        "id": str(caregiver.id),
        "email": caregiver.email,
        "role": "CAREGIVER",
    }
    assert nodes[1]["entityId"] == str(caregiver.id)
    assert nodes[0]["at"].endswith("Z")
    # Reading the trail is recorded: it shows up next time, on top.
    again = await _trail(gql, me, me.patient_id, first=1)
    assert again["edges"][0]["node"]["action"] == "AUDIT_LOG_READ"


@pytest.mark.parametrize("role", [Role.CAREGIVER, Role.CLINICIAN])
async def test_other_roles_are_forbidden_whatever_the_target(
    gql: GraphQLClient, resources: Resources, role: Role
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    pid = await patient(resources, doctor, "Team patient")
    caller = doctor if role is Role.CLINICIAN else await account(resources, role)
    body = await gql.raw(AUDIT_LOG, {"patientId": str(pid)}, token=caller.token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_patient_cannot_read_another_patients_trail(
    gql: GraphQLClient, resources: Resources
) -> None:
    me = await account(resources, Role.PATIENT)
    other = await account(resources, Role.PATIENT)
    for target in (str(other.patient_id), "not-an-id"):
        body = await gql.raw(AUDIT_LOG, {"patientId": target}, token=me.token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_admin_pages_any_trail_and_actors_cost_one_query(
    gql: GraphQLClient, resources: Resources, count_statements: StatementCounter
) -> None:
    admin = await account(resources, Role.ADMIN)
    doctor = await account(resources, Role.CLINICIAN)
    pid = await patient(resources, doctor, "Much read")
    readers = [await account(resources, Role.CLINICIAN) for _ in range(4)]
    for reader in readers:
        await gql.data(
            "mutation($p: ID!, $e: String!) { addCareTeamMember(patientId: $p, email: $e) "
            "{ errors { code } } }",
            {"p": str(pid), "e": reader.email},
            token=doctor.token,
        )
        for _ in range(3):
            await gql.data(PATIENT, {"id": str(pid)}, token=reader.token)
    # 1 created + 4 added + 12 reads = 17 entries, by 5 different actors.
    count_statements.count = 0
    full = await _trail(gql, admin, pid, first=100)
    # viewer, page, actors (one batch), the AUDIT_LOG_READ entry.
    assert count_statements.count == 4, count_statements.statements
    assert len(full["edges"]) == 17 and full["pageInfo"]["hasNextPage"] is False
    emails = {e["node"]["actor"]["email"] for e in full["edges"]}
    assert emails == {doctor.email, *(r.email for r in readers)}
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = await _trail(gql, admin, pid, first=5, after=after)
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # The walk starts with the admin's read of the full trail; the reads the
    # walk itself appends are newer than its cursors, so nothing repeats.
    assert [n["action"] for n in seen] == ["AUDIT_LOG_READ"] + [
        e["node"]["action"] for e in full["edges"]
    ]
    assert seen[-1]["action"] == "PATIENT_CREATED" and len(seen) == 18
    bad = await gql.raw(AUDIT_LOG, {"patientId": str(pid), "after": "garbage"}, token=admin.token)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_first_is_clamped_to_1_and_100(gql: GraphQLClient, resources: Resources) -> None:
    admin = await account(resources, Role.ADMIN)
    me = await account(resources, Role.PATIENT)
    for _ in range(2):
        await gql.data(PATIENT, {"id": str(me.patient_id)}, token=me.token)
    assert len((await _trail(gql, admin, me.patient_id, first=0))["edges"]) == 1
    assert len((await _trail(gql, admin, me.patient_id, first=-5))["edges"]) == 1
    # 1 registration + 2 reads + 2 trail reads by the admin so far.
    assert len((await _trail(gql, admin, me.patient_id, first=1000))["edges"]) == 5


async def test_entries_outlive_their_actor_and_name_nobody(
    gql: GraphQLClient, resources: Resources
) -> None:
    admin = await account(resources, Role.ADMIN)
    me = await account(resources, Role.PATIENT)
    caregiver = await account(resources, Role.CAREGIVER)
    await gql.data(
        LINK_CAREGIVER, {"patientId": str(me.patient_id), "email": caregiver.email}, token=me.token
    )
    await gql.data(PATIENT, {"id": str(me.patient_id)}, token=caregiver.token)
    async with transaction(resources.sessions) as session:
        await session.execute(text("DELETE FROM users WHERE id = :id"), {"id": caregiver.id})
    trail = await _trail(gql, admin, me.patient_id)
    read = trail["edges"][0]["node"]
    assert read["action"] == "PATIENT_READ" and read["actor"] is None
