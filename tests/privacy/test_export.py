"""exportPatientData: everything written about the patient comes back."""

from __future__ import annotations

import json
from typing import Any

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from tests.conftest import GraphQLClient
from tests.factories import account
from tests.privacy.conftest import EMAIL, NAME, PHONE, SIG, Record
from tests.privacy.documents import EXPORT

PATIENT_READ = "query($id: ID!) { patient(id: $id) { id } }"


async def export(gql: GraphQLClient, patient_id: str, token: str) -> dict[str, Any]:
    out = (await gql.data(EXPORT, {"patientId": patient_id}, token=token))["exportPatientData"]
    assert not out["errors"], out
    document: dict[str, Any] = json.loads(out["json"])
    return document


async def test_export_holds_everything_written(gql: GraphQLClient, record: Record) -> None:
    doc = await export(gql, record.patient_id, record.patient.now_token)
    records = doc["records"]
    assert doc["format"] == "prescripcare-patient-export/1"
    assert doc["patientId"] == record.patient_id
    assert doc["exportedAt"].endswith("Z")

    (patient,) = records["patients"]
    assert (patient["name"], patient["phone"], patient["email"]) == (NAME, PHONE, EMAIL)
    assert patient["dateOfBirth"] == "1980-05-17"
    (user,) = records["users"]
    assert user["email"] == record.patient.email and user["role"] == "PATIENT"
    (rx,) = records["prescriptions"]
    assert rx["id"] == record.prescription_id and rx["sig"] == SIG
    assert doc["drugNames"][rx["rxcui"]].lower() == "warfarin"
    taken = [d for d in records["doses"] if d["id"] == record.taken_dose_id]
    assert taken[0]["status"] == "TAKEN" and taken[0]["takenAt"] == "2026-01-14T08:05:00Z"
    assert [r["status"] for r in records["doseRecords"]] == ["TAKEN"]
    assert [f["id"] for f in records["fills"]] == [record.fill_id]
    assert [(r["channel"], r["status"]) for r in records["reminders"]] == [("SMS", "QUEUED")]
    assert [c["caregiverId"] for c in records["caregiverLinks"]] == [str(record.carer.id)]
    assert [m["userId"] for m in records["careTeamMembers"]] == [str(record.doctor.id)]
    assert {c["channel"] for c in records["channelConsents"]} == {"SMS"}
    assert records["refreshTokens"], "the account's sessions are part of the record"


async def test_export_never_hands_out_secrets(gql: GraphQLClient, record: Record) -> None:
    raw = json.dumps(await export(gql, record.patient_id, record.patient.now_token))
    assert "passwordHash" not in raw and "tokenHash" not in raw and "BlindIndex" not in raw
    assert "$argon2" not in raw


async def test_export_leaves_out_other_patients(
    gql: GraphQLClient, record: Record, resources: Resources
) -> None:
    other = await account(resources, Role.PATIENT)
    doc = await export(gql, str(other.patient_id), other.now_token)
    raw = json.dumps(doc)
    assert NAME not in raw and record.prescription_id not in raw
    assert "prescriptions" not in doc["records"]
    assert doc["records"]["patients"][0]["id"] == str(other.patient_id)


async def test_an_admin_may_export(
    gql: GraphQLClient, record: Record, resources: Resources
) -> None:
    admin = await account(resources, Role.ADMIN)
    doc = await export(gql, record.patient_id, admin.now_token)
    assert doc["records"]["patients"][0]["name"] == NAME


async def test_caregivers_and_clinicians_may_not_export(gql: GraphQLClient, record: Record) -> None:
    for who in (record.carer, record.doctor):
        body = await gql.raw(EXPORT, {"patientId": record.patient_id}, token=who.now_token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["data"]["exportPatientData"] is None


async def test_another_patients_export_is_not_found(
    gql: GraphQLClient, record: Record, resources: Resources
) -> None:
    other = await account(resources, Role.PATIENT)
    for target in (record.patient_id, "not-an-id"):
        out = (await gql.data(EXPORT, {"patientId": target}, token=other.now_token))[
            "exportPatientData"
        ]
        assert out["json"] is None
        assert [(e["code"], e["field"]) for e in out["errors"]] == [("NOT_FOUND", "patientId")]


async def test_export_carries_the_audit_trail_and_is_itself_audited(
    gql: GraphQLClient, record: Record
) -> None:
    first = await export(gql, record.patient_id, record.patient.now_token)
    actions = [e["action"] for e in first["auditEntries"]]
    written = {"PRESCRIPTION_CREATED", "DOSE_RECORDED", "FILL_RECORDED", "CAREGIVER_LINKED"}
    assert written <= set(actions), actions
    second = await export(gql, record.patient_id, record.patient.now_token)
    exported = [e for e in second["auditEntries"] if e["action"] == "PATIENT_EXPORTED"]
    assert [e["actorId"] for e in exported] == [str(record.patient.id)]


async def test_export_names_other_actors_by_id_and_role_only(
    gql: GraphQLClient, record: Record
) -> None:
    """Issue 19: a clinician's address and request ids are theirs, not the
    patient's; the patient's own entries keep where they came from."""
    await gql.data(PATIENT_READ, {"id": record.patient_id}, token=record.doctor.now_token)
    await gql.data(PATIENT_READ, {"id": record.patient_id}, token=record.patient.now_token)
    entries = (await export(gql, record.patient_id, record.patient.now_token))["auditEntries"]
    staff = [e for e in entries if e["actorId"] == str(record.doctor.id)]
    own = [e for e in entries if e["actorId"] == str(record.patient.id)]
    assert staff and own
    assert all(e["ip"] is None and e["requestId"] is None for e in staff)
    assert all(e["actorRole"] == "CLINICIAN" for e in staff)
    assert all(e["ip"] and e["requestId"] for e in own if e["action"] == "PATIENT_READ")
