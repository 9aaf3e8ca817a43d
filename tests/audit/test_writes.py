"""Every write is in the log, in the writer's transaction: a committed write
has its entry, a refused or rolled-back one has none."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.audit.models import AuditAction
from prescripcare.audit.service import record
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from tests.audit.helpers import actions, log_rows
from tests.conftest import GraphQLClient
from tests.factories import account, patient
from tests.patients.documents import UPDATE_PATIENT
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, prescription
from tests.reminders.outbox import DUE


async def test_prescribe_record_dose_and_update_are_recorded(
    gql: GraphQLClient, resources: Resources, clock: SettableClock, catalog: SeedReport
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    pid = str(await patient(resources, doctor, "Writer"))
    out = (await gql.data(PRESCRIBE, prescription(pid, "6809"), token=doctor.token))["prescribe"]
    rx = out["prescription"]
    clock.set(DUE)
    done = await gql.data(
        RECORD_DOSE, {"doseId": rx["nextDose"]["id"], "status": "SKIPPED"}, token=doctor.now_token
    )
    assert done["recordDose"]["errors"] == []
    updated = await gql.data(
        UPDATE_PATIENT, {"id": pid, "input": {"name": "Writer Two"}}, token=doctor.now_token
    )
    assert updated["updatePatient"]["errors"] == []
    writes = [r for r in await log_rows(resources, pid) if r.action != "PATIENT_READ"]
    assert [(r.action, r.entity, r.entity_id) for r in writes] == [
        ("PATIENT_CREATED", "Patient", pid),
        ("PRESCRIPTION_CREATED", "Prescription", rx["id"]),
        ("DOSE_RECORDED", "Dose", rx["nextDose"]["id"]),
        ("PATIENT_UPDATED", "Patient", pid),
    ]
    assert {(r.actor_id, r.actor_role) for r in writes} == {(doctor.id, "CLINICIAN")}
    # The patient's name changed; the log holds identifiers only.
    assert all("Writer" not in repr(r) for r in writes)


async def test_a_refused_write_records_nothing(
    gql: GraphQLClient, resources: Resources, catalog: SeedReport
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    caregiver = await account(resources, Role.CAREGIVER)
    pid = str(await patient(resources, doctor, "Refused"))
    before = await actions(resources, pid)
    bad = await gql.data(
        UPDATE_PATIENT, {"id": pid, "input": {"phone": "not a phone"}}, token=doctor.token
    )
    assert bad["updatePatient"]["errors"][0]["code"] == "INVALID"
    unknown = await gql.data(PRESCRIBE, prescription(pid, "999999999"), token=doctor.token)
    assert unknown["prescribe"]["errors"][0]["code"] == "UNKNOWN_DRUG"
    forbidden = await gql.raw(PRESCRIBE, prescription(pid, "6809"), token=caregiver.token)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await actions(resources, pid) == before


async def test_an_entry_rolls_back_with_its_write(resources: Resources) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    pid = await patient(resources, doctor, "Rolled back")
    before = await actions(resources, pid)

    async def record_update(session: AsyncSession) -> None:
        await record(
            session,
            doctor.viewer,
            AuditAction.PATIENT_UPDATED,
            "Patient",
            pid,
            pid,
            resources.clock.now(),
        )

    async def failing_write() -> None:
        async with transaction(resources.sessions) as session:
            await record_update(session)
            raise RuntimeError("the write failed after its entry was added")

    with pytest.raises(RuntimeError):
        await failing_write()
    assert await actions(resources, pid) == before
    # The chain is unharmed: the next entry follows the last committed one.
    async with transaction(resources.sessions) as session:
        await record_update(session)
    rows = await log_rows(resources)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))


async def test_registration_and_account_creation_are_recorded(
    gql: GraphQLClient, resources: Resources
) -> None:
    me = await account(resources, Role.PATIENT)
    admin = await account(resources, Role.ADMIN)
    rows = await log_rows(resources)
    registered = [r for r in rows if r.action == "USER_REGISTERED" and r.actor_id == me.id]
    assert [(r.entity_id, r.patient_id) for r in registered] == [(str(me.id), me.patient_id)]
    created = [r for r in rows if r.action == "USER_CREATED" and r.entity_id == str(admin.id)]
    # The factory creates staff as the operator's CLI would: no account acts.
    assert [(r.actor_id, r.actor_role) for r in created] == [(None, "OPERATOR")]
