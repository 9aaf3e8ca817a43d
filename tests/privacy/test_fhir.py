"""The FHIR R4 Bundle at /fhir/Patient/{id}/$everything."""

from __future__ import annotations

from typing import Any

import httpx
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import col

from prescripcare.auth.models import Role
from prescripcare.resources import Resources
from tests.factories import account
from tests.privacy.conftest import NAME, PHONE, SIG, Record


def path(patient_id: str) -> str:
    return f"/fhir/Patient/{patient_id}/$everything"


async def get(client: httpx.AsyncClient, patient_id: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.get(path(patient_id), headers=headers)


async def test_bundle_is_valid_fhir_with_every_resource(
    client: httpx.AsyncClient, record: Record
) -> None:
    response = await get(client, record.patient_id, record.patient.now_token)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    Bundle.model_validate(body)  # raises on any resource that breaks the spec
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in body["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    (patient,) = by_type["Patient"]
    assert patient["name"] == [{"text": NAME}] and patient["birthDate"] == "1980-05-17"
    assert {"system": "phone", "value": PHONE, "use": "mobile"} in patient["telecom"]
    (request,) = by_type["MedicationRequest"]
    assert request["status"] == "active" and request["intent"] == "order"
    coding = request["medicationCodeableConcept"]["coding"][0]
    assert coding["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm"
    dosage = request["dosageInstruction"][0]
    assert dosage["text"] == SIG and dosage["timing"]["repeat"]["timeOfDay"] == ["08:00:00"]
    assert request["dispenseRequest"]["numberOfRepeatsAllowed"] == 2
    (given,) = by_type["MedicationAdministration"]
    assert given["status"] == "completed"
    assert given["effectiveDateTime"] == "2026-01-14T08:05:00Z"
    assert given["request"] == {"reference": f"urn:uuid:{record.prescription_id}"}
    (dispense,) = by_type["MedicationDispense"]
    assert dispense["id"] == record.fill_id and dispense["daysSupply"]["value"] == 30
    assert dispense["whenHandedOver"] == "2026-01-13"


async def test_bundle_needs_a_token(client: httpx.AsyncClient, record: Record) -> None:
    for token in (None, "not-a-jwt"):
        response = await get(client, record.patient_id, token)
        assert response.status_code == 401
        assert response.json()["resourceType"] == "OperationOutcome"


async def test_bundle_follows_the_export_rules(
    client: httpx.AsyncClient, record: Record, resources: Resources
) -> None:
    other = await account(resources, Role.PATIENT)
    assert (await get(client, record.patient_id, other.now_token)).status_code == 404
    assert (await get(client, "nonsense", other.now_token)).status_code == 404
    assert (await get(client, record.patient_id, record.doctor.now_token)).status_code == 403
    admin = await account(resources, Role.ADMIN)
    assert (await get(client, record.patient_id, admin.now_token)).status_code == 200


async def test_the_chosen_language_is_the_patients_preferred_communication(
    client: httpx.AsyncClient, resources: Resources, record: Record
) -> None:
    from sqlalchemy import update

    from prescripcare.db import transaction
    from prescripcare.patients.models import Patient

    async with transaction(resources.sessions) as session:
        chosen = (
            update(Patient).where(col(Patient.id) == record.patient_id).values(language="pt-BR")
        )
        await session.execute(chosen)
    body = (await get(client, record.patient_id, record.patient.now_token)).json()
    Bundle.model_validate(body)
    [patient] = [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert patient["communication"] == [
        {
            "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "pt-BR"}]},
            "preferred": True,
        }
    ]
