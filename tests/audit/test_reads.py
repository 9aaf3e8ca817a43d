"""Every read of a patient's record is in the log: one entry per patient per
request, through `patient`, the list, the dashboard and `me`, with who, when,
the request id and the client address; nothing for a patient not shown."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from prescripcare.auth.models import Role
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.audit.helpers import PATIENT, actions, log_rows
from tests.conftest import GraphQLClient, StatementCounter
from tests.factories import account, patient
from tests.pins import DASHBOARD, PATIENT_LIST
from tests.prescriptions.documents import PRESCRIBE, prescription


async def test_a_patient_read_is_recorded_with_actor_request_and_address(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    pid = await patient(resources, doctor, "Ada Lovelace")
    before = await log_rows(resources, pid)
    response = await client.post(
        "/graphql",
        json={"query": PATIENT, "variables": {"id": str(pid)}},
        headers={
            "Authorization": f"Bearer {doctor.token}",
            "X-Request-ID": "audit-read-1",
            # Not trusted: the address is the connection's, not the client's say.
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert response.json()["data"]["patient"]["name"] == "Ada Lovelace"
    new = (await log_rows(resources, pid))[len(before) :]
    assert len(new) == 1
    entry = new[0]
    assert (entry.action, entry.entity, entry.entity_id) == ("PATIENT_READ", "Patient", str(pid))
    assert (entry.actor_id, entry.actor_role) == (doctor.id, "CLINICIAN")
    assert (entry.request_id, entry.ip) == ("audit-read-1", "127.0.0.1")
    assert entry.break_glass_grant_id is None


async def test_a_hidden_patient_is_not_recorded_as_read(
    gql: GraphQLClient, resources: Resources
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    stranger = await account(resources, Role.CLINICIAN)
    pid = await patient(resources, doctor, "Hidden")
    before = await actions(resources, pid)
    body = await gql.raw(PATIENT, {"id": str(pid)}, token=stranger.token)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await actions(resources, pid) == before


async def test_the_dashboard_is_one_read_however_many_fields(
    gql: GraphQLClient, resources: Resources, catalog: SeedReport
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, doctor, "Dash"))
    for drug in ("6809", "29046"):
        out = await gql.data(PRESCRIBE, prescription(pid, drug), token=doctor.token)
        assert out["prescribe"]["errors"] == []
    before = await actions(resources, pid)
    await gql.data(
        DASHBOARD,
        {"id": pid, "from": "2026-01-01T00:00:00Z", "to": "2026-01-20T00:00:00Z"},
        token=doctor.token,
    )
    assert (await actions(resources, pid))[len(before) :] == ["PATIENT_READ"]


async def test_a_list_records_each_listed_patient_in_one_statement(
    gql: GraphQLClient, resources: Resources, count_statements: StatementCounter
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    other = await account(resources, Role.CLINICIAN)
    mine = {await patient(resources, doctor, f"P{i:02d}") for i in range(12)}
    theirs = await patient(resources, other, "Not mine")
    count_statements.statements.clear()
    data = await gql.data(PATIENT_LIST, {"first": 5}, token=doctor.token)
    inserts = [s for s in count_statements.statements if s.startswith("INSERT INTO audit_log")]
    assert len(inserts) == 1
    listed = {e["node"]["id"] for e in data["patients"]["edges"]}
    assert len(listed) == 5
    rows = [r for r in await log_rows(resources) if r.action == "PATIENT_READ"]
    assert sorted(str(r.patient_id) for r in rows) == sorted(listed)
    assert all(r.actor_id == doctor.id for r in rows)
    assert theirs not in {r.patient_id for r in rows} and listed <= {str(p) for p in mine}


async def test_a_patient_reading_their_own_record_through_me_is_recorded(
    gql: GraphQLClient, resources: Resources
) -> None:
    me = await account(resources, Role.PATIENT)
    before = await actions(resources, me.patient_id)
    await gql.data("{ me { email patient { id name } } }", token=me.token)
    assert (await actions(resources, me.patient_id))[len(before) :] == ["PATIENT_READ"]


async def test_no_record_no_disclosure(gql: GraphQLClient, resources: Resources) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    pid = await patient(resources, doctor, "Secret")
    # Make every read entry fail to insert, as a full disk or a lost database would.
    refuse = "ALTER TABLE audit_log ADD CONSTRAINT test_refuse CHECK (action <> 'PATIENT_READ')"
    async with resources.engine.begin() as conn:
        await conn.execute(text(refuse + " NOT VALID"))
    try:
        body = await gql.raw(PATIENT, {"id": str(pid)}, token=doctor.token)
    finally:
        async with resources.engine.begin() as conn:
            await conn.execute(text("ALTER TABLE audit_log DROP CONSTRAINT test_refuse"))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "Secret" not in str(body)
