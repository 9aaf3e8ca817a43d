"""Break-glass: a clinician outside the care team opens a patient only with a
stated reason, for BREAK_GLASS_MINUTES, and everything they do with it is
flagged in the audit log; the reason stays out of the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.resources import Resources
from tests.audit.helpers import AUDIT_LOG, BREAK_GLASS, PATIENT, REASON, log_rows
from tests.conftest import GraphQLClient
from tests.factories import account, patient
from tests.patients.documents import UPDATE_PATIENT


async def test_break_glass_opens_flags_and_expires(
    gql: GraphQLClient, resources: Resources, clock: SettableClock
) -> None:
    owner = await account(resources, Role.CLINICIAN)
    er_doctor = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, owner, "Emergency Patient"))
    refused = await gql.raw(PATIENT, {"id": pid}, token=er_doctor.token)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    opened = (
        await gql.data(BREAK_GLASS, {"patientId": pid, "reason": REASON}, token=er_doctor.token)
    )["breakGlass"]
    assert opened["errors"] == []
    assert opened["grant"]["patient"] == {"id": pid, "name": "Emergency Patient"}
    assert opened["grant"]["expiresAt"] == "2026-01-13T19:00:00Z"  # 4 hours by default
    assert (await gql.data(PATIENT, {"id": pid}, token=er_doctor.token))["patient"]["id"] == pid
    # Writing is open too (a dose given, a medicine stopped), and flagged.
    updated = await gql.data(
        UPDATE_PATIENT, {"id": pid, "input": {"timezone": "Europe/Paris"}}, token=er_doctor.token
    )
    assert updated["updatePatient"]["errors"] == []
    # The care team's own reads are not break-glass.
    await gql.data(PATIENT, {"id": pid}, token=owner.token)

    rows = [r for r in await log_rows(resources, pid) if r.action != "PATIENT_CREATED"]
    flagged = [(r.action, r.actor_id) for r in rows if r.break_glass_grant_id is not None]
    assert flagged == [
        ("BREAK_GLASS_OPENED", er_doctor.id),
        ("PATIENT_READ", er_doctor.id),
        ("PATIENT_READ", er_doctor.id),
        ("PATIENT_UPDATED", er_doctor.id),
    ]
    assert {str(r.break_glass_grant_id) for r in rows if r.break_glass_grant_id} == {
        opened["grant"]["id"]
    }
    assert [(r.action, r.actor_id) for r in rows if r.break_glass_grant_id is None] == [
        ("PATIENT_READ", owner.id)
    ]
    # The reason is kept with the grant, never in the log.
    async with resources.sessions() as session:
        reason = await session.scalar(text("SELECT reason FROM break_glass_grants"))
        logged = await session.scalar(
            text("SELECT count(*) FROM audit_log WHERE audit_log::text ILIKE '%emergency%'")
        )
    assert reason == REASON and logged == 0

    clock.advance(timedelta(hours=4, minutes=1))
    expired = await gql.raw(PATIENT, {"id": pid}, token=er_doctor.now_token)
    assert expired["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    stale = await gql.data(
        UPDATE_PATIENT, {"id": pid, "input": {"name": "Too late"}}, token=er_doctor.now_token
    )
    assert stale["updatePatient"]["errors"][0]["code"] == "NOT_FOUND"


async def test_the_patient_sees_break_glass_in_their_trail(
    gql: GraphQLClient, resources: Resources
) -> None:
    me = await account(resources, Role.PATIENT)
    er_doctor = await account(resources, Role.CLINICIAN)
    pid = str(me.patient_id)
    await gql.data(BREAK_GLASS, {"patientId": pid, "reason": REASON}, token=er_doctor.token)
    trail = (
        await gql.data(
            AUDIT_LOG.replace("entityId", "entityId breakGlass"), {"patientId": pid}, token=me.token
        )
    )["auditLog"]
    newest = [e["node"] for e in trail["edges"]][:2]
    assert [(n["action"], n["breakGlass"], n["actor"]["email"]) for n in newest] == [
        ("PATIENT_READ", True, er_doctor.email),  # the payload's patient
        ("BREAK_GLASS_OPENED", True, er_doctor.email),
    ]


@pytest.mark.parametrize("reason", ["", "   ", "need it", "x" * 1001])
async def test_a_reason_is_required(gql: GraphQLClient, resources: Resources, reason: str) -> None:
    owner = await account(resources, Role.CLINICIAN)
    er_doctor = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, owner, "Guarded"))
    before = await log_rows(resources, pid)
    out = (
        await gql.data(BREAK_GLASS, {"patientId": pid, "reason": reason}, token=er_doctor.token)
    )["breakGlass"]
    assert out["grant"] is None
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("INVALID", "reason")]
    assert await log_rows(resources, pid) == before
    still = await gql.raw(PATIENT, {"id": pid}, token=er_doctor.token)
    assert still["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("role", [Role.PATIENT, Role.CAREGIVER, Role.ADMIN])
async def test_only_clinicians_break_glass(
    gql: GraphQLClient, resources: Resources, role: Role
) -> None:
    owner = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, owner, "Guarded"))
    caller = await account(resources, role)
    body = await gql.raw(BREAK_GLASS, {"patientId": pid, "reason": REASON}, token=caller.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_unknown_patient_is_not_found(gql: GraphQLClient, resources: Resources) -> None:
    er_doctor = await account(resources, Role.CLINICIAN)
    for target in ("00000000-0000-0000-0000-000000000000", "nope"):
        out = (
            await gql.data(
                BREAK_GLASS, {"patientId": target, "reason": REASON}, token=er_doctor.token
            )
        )["breakGlass"]
        assert [(e["code"], e["field"]) for e in out["errors"]] == [("NOT_FOUND", "patientId")]
