"""Issue 19, finding 3: break-glass opens a record, not its doors. A
clinician whose only access is a grant cannot change who may see the
patient (care team, caregivers) or the patient's consents, so the grant
cannot be made permanent; everything done under it is flagged; and access
ends exactly at `expiresAt`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from tests.audit.helpers import BREAK_GLASS, PATIENT, REASON, log_rows
from tests.conftest import GraphQLClient
from tests.factories import Account, account, patient
from tests.patients.documents import (
    ADD_TEAM,
    LINK_CAREGIVER,
    PATIENT_LIST,
    REMOVE_TEAM,
    UNLINK_CAREGIVER,
    UPDATE_PATIENT,
)


async def _open(gql: GraphQLClient, doctor: Account, pid: str) -> dict[str, Any]:
    out = await gql.data(BREAK_GLASS, {"patientId": pid, "reason": REASON}, token=doctor.token)
    grant: dict[str, Any] = out["breakGlass"]["grant"]
    return grant


async def test_a_grant_cannot_change_who_sees_the_patient_or_their_consents(
    gql: GraphQLClient, resources: Resources, clock: SettableClock
) -> None:
    owner = await account(resources, Role.CLINICIAN)
    er_doctor = await account(resources, Role.CLINICIAN)
    colleague = await account(resources, Role.CLINICIAN)
    caregiver = await account(resources, Role.CAREGIVER)
    pid = str(await patient(resources, owner, "Emergency Patient"))
    await gql.data(LINK_CAREGIVER, {"patientId": pid, "email": caregiver.email}, token=owner.token)
    grant = await _open(gql, er_doctor, pid)
    before = await log_rows(resources, pid)

    attempts = [
        (ADD_TEAM, {"email": er_doctor.email}),  # the attack: join the team, keep access
        (ADD_TEAM, {"email": colleague.email}),
        (REMOVE_TEAM, {"userId": str(owner.id)}),
        (LINK_CAREGIVER, {"email": caregiver.email}),
        (UNLINK_CAREGIVER, {"caregiverId": str(caregiver.id)}),
    ]
    for document, variables in attempts:
        refused = await gql.raw(document, {"patientId": pid, **variables}, token=er_doctor.token)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", (document, refused)
    consents = {"id": pid, "input": {"reminderChannels": ["PUSH"]}}
    refused = await gql.raw(UPDATE_PATIENT, consents, token=er_doctor.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await log_rows(resources, pid) == before  # nothing written

    # What an emergency needs stays open, and is flagged.
    timezone = {"id": pid, "input": {"timezone": "Europe/Paris"}}
    assert (await gql.data(UPDATE_PATIENT, timezone, token=er_doctor.token))["updatePatient"][
        "errors"
    ] == []
    listed = await gql.data(PATIENT_LIST, {}, token=er_doctor.token)
    assert [e["node"]["id"] for e in listed["patients"]["edges"]] == [pid]
    mine = [r for r in await log_rows(resources, pid) if r.actor_id == er_doctor.id]
    assert mine and all(str(r.break_glass_grant_id) == grant["id"] for r in mine)

    # After expiry: no read, no listing, as before the grant.
    clock.set(datetime.fromisoformat(grant["expiresAt"]))
    gone = await gql.raw(PATIENT, {"id": pid}, token=er_doctor.now_token)
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = await gql.data(PATIENT_LIST, {}, token=er_doctor.now_token)
    assert listed["patients"]["edges"] == []


async def test_access_ends_exactly_at_expires_at(
    gql: GraphQLClient, resources: Resources, clock: SettableClock
) -> None:
    owner = await account(resources, Role.CLINICIAN)
    er_doctor = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, owner, "Emergency Patient"))
    expires_at = datetime.fromisoformat((await _open(gql, er_doctor, pid))["expiresAt"])

    clock.set(expires_at - timedelta(seconds=1))
    last = await gql.data(PATIENT, {"id": pid}, token=er_doctor.now_token)
    assert last["patient"]["id"] == pid
    clock.set(expires_at)
    ended = await gql.raw(PATIENT, {"id": pid}, token=er_doctor.now_token)
    assert ended["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    reads = [r for r in await log_rows(resources, pid) if r.action == "PATIENT_READ"]
    assert [r.break_glass_grant_id is not None for r in reads] == [True, True]


async def test_the_care_team_keeps_managing_the_team(
    gql: GraphQLClient, resources: Resources
) -> None:
    """A clinician on the team who also holds a grant is on the team: the
    grant is not the only reason they see the patient."""
    owner = await account(resources, Role.CLINICIAN)
    colleague = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, owner, "Team Patient"))
    await _open(gql, owner, pid)
    added = await gql.data(
        ADD_TEAM, {"patientId": pid, "email": colleague.email}, token=owner.token
    )
    assert added["addCareTeamMember"]["errors"] == []
