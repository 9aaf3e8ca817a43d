"""The patient's record as a FHIR R4 Bundle, for other systems to import.

Patient, MedicationRequest (prescriptions), MedicationAdministration
(recorded and missed doses) and MedicationDispense (fills). Entries are
addressed by `urn:uuid:` so the Bundle stands alone; people outside it
(prescribers) are referenced by identifier, not by a URL we do not serve.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from prescripcare.privacy.collect import Row
from prescripcare.privacy.export import PatientRecord

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
USER_SYSTEM = "urn:prescripcare:user"
FHIR_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

REQUEST_STATUS = {
    "ACTIVE": "active",
    "PAUSED": "on-hold",
    "COMPLETED": "completed",
    "DISCONTINUED": "stopped",
}
# Doses still SCHEDULED are plans, not events: they are in the request's timing.
ADMINISTRATION_STATUS = {"TAKEN": "completed", "SKIPPED": "not-done", "MISSED": "not-done"}

Resource = dict[str, Any]


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ref(resource_id: object) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _user(user_id: object) -> dict[str, Any]:
    return {"identifier": {"system": USER_SYSTEM, "value": str(user_id)}}


def _medication(rxcui: str, names: dict[str, str]) -> dict[str, Any]:
    coding: dict[str, str] = {"system": RXNORM, "code": rxcui}
    if rxcui in names:
        coding["display"] = names[rxcui]
    return {"coding": [coding], "text": names.get(rxcui, rxcui)}


def patient_resource(row: Row) -> Resource:
    resource: Resource = {"resourceType": "Patient", "id": str(row["id"])}
    resource["name"] = [{"text": row["name"]}]
    telecom = []
    if row.get("phone"):
        telecom.append({"system": "phone", "value": row["phone"], "use": "mobile"})
    if row.get("email"):
        telecom.append({"system": "email", "value": row["email"]})
    if telecom:
        resource["telecom"] = telecom
    if isinstance(row.get("date_of_birth"), date):
        resource["birthDate"] = row["date_of_birth"].isoformat()
    if row.get("language"):
        # The language the patient chose (null: the deployment's default,
        # not a choice of theirs, so not exported as one).
        resource["communication"] = [
            {
                "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": row["language"]}]},
                "preferred": True,
            }
        ]
    return resource


def _timing(row: Row) -> dict[str, Any]:
    repeat: dict[str, Any] = {}
    bounds: dict[str, str] = {"start": row["start_date"].isoformat()}
    if row.get("end_date"):
        bounds["end"] = row["end_date"].isoformat()
    repeat["boundsPeriod"] = bounds
    if row.get("every_hours"):
        repeat.update(frequency=1, period=row["every_hours"], periodUnit="h")
    else:
        times: list[time] = row.get("times_of_day") or []
        repeat.update(frequency=max(len(times), 1), period=row.get("every_days") or 1)
        repeat["periodUnit"] = "d"
        if times:
            repeat["timeOfDay"] = [t.strftime("%H:%M:%S") for t in times]
        if row.get("days_of_week"):
            repeat["dayOfWeek"] = [FHIR_DAYS[d - 1] for d in row["days_of_week"]]
    return {"repeat": repeat}


def request_resource(row: Row, names: dict[str, str]) -> Resource:
    dosage: dict[str, Any] = {
        "asNeededBoolean": bool(row["as_needed"]),
        "doseAndRate": [
            {"doseQuantity": {"value": row["dose_quantity"], "unit": row["dose_unit"]}}
        ],
    }
    if row.get("sig"):
        dosage["text"] = row["sig"]
    if not row["as_needed"]:
        dosage["timing"] = _timing(row)
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": str(row["id"]),
        "status": REQUEST_STATUS.get(row["status"], "unknown"),
        "intent": "order",
        "medicationCodeableConcept": _medication(row["rxcui"], names),
        "subject": _ref(row["patient_id"]),
        "authoredOn": _instant(row["created_at"]),
        "dosageInstruction": [dosage],
    }
    if row.get("prescriber_id"):
        resource["requester"] = _user(row["prescriber_id"])
    else:
        # A medicine the patient reports taking: not ordered by a clinician.
        resource["reportedBoolean"] = True
    dispense: dict[str, Any] = {}
    if row.get("refills") is not None:
        dispense["numberOfRepeatsAllowed"] = row["refills"]
    if row.get("quantity") is not None:
        dispense["quantity"] = {"value": row["quantity"]}
    if row.get("days_supply") is not None:
        dispense["expectedSupplyDuration"] = {
            "value": row["days_supply"],
            "unit": "days",
            "system": UCUM,
            "code": "d",
        }
    if dispense:
        resource["dispenseRequest"] = dispense
    return resource


def administration_resource(dose: Row, prescription: Row, names: dict[str, str]) -> Resource:
    status = dose["status"]
    resource: Resource = {
        "resourceType": "MedicationAdministration",
        "id": str(dose["id"]),
        "status": ADMINISTRATION_STATUS[status],
        "medicationCodeableConcept": _medication(prescription["rxcui"], names),
        "subject": _ref(dose["patient_id"]),
        "effectiveDateTime": _instant(dose.get("taken_at") or dose["scheduled_at"]),
        "request": _ref(dose["prescription_id"]),
    }
    if status != "TAKEN":
        resource["statusReason"] = [{"text": status.lower()}]
    if dose.get("recorded_by"):
        resource["performer"] = [{"actor": _user(dose["recorded_by"])}]
    return resource


def dispense_resource(fill: Row, prescription: Row, names: dict[str, str]) -> Resource:
    resource: Resource = {
        "resourceType": "MedicationDispense",
        "id": str(fill["id"]),
        "status": "completed",
        "medicationCodeableConcept": _medication(prescription["rxcui"], names),
        "subject": _ref(prescription["patient_id"]),
        "authorizingPrescription": [_ref(fill["prescription_id"])],
        "daysSupply": {"value": fill["days_supply"], "unit": "days", "system": UCUM, "code": "d"},
        "whenHandedOver": fill["filled_on"].isoformat(),
    }
    if fill.get("quantity") is not None:
        resource["quantity"] = {"value": fill["quantity"]}
    return resource


def patient_bundle(record: PatientRecord, now: datetime) -> Resource:
    """A `searchset` Bundle, as `Patient/{id}/$everything` answers."""
    tables, names = record.tables, record.drug_names
    prescriptions = {row["id"]: row for row in tables.get("prescriptions", [])}
    resources: list[tuple[Resource, str]] = [(patient_resource(tables["patients"][0]), "match")]
    resources += [(request_resource(p, names), "include") for p in prescriptions.values()]
    for dose in sorted(tables.get("doses", []), key=lambda d: d["scheduled_at"]):
        if dose["status"] in ADMINISTRATION_STATUS:
            prescription = prescriptions[dose["prescription_id"]]
            resources.append((administration_resource(dose, prescription, names), "include"))
    for fill in sorted(tables.get("fills", []), key=lambda f: f["filled_on"]):
        prescription = prescriptions[fill["prescription_id"]]
        resources.append((dispense_resource(fill, prescription, names), "include"))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": _instant(now),
        "total": 1,
        "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r, "search": {"mode": mode}}
            for r, mode in resources
        ],
    }
