"""The contract's prescription and dose documents, verbatim, and helpers."""

from __future__ import annotations

from typing import Any

PRESCRIBE = """
mutation Prescribe($input: PrescribeInput!) {
  prescribe(input: $input) {
    prescription {
      id
      status
      drug { rxcui name }
      schedule { timesOfDay daysOfWeek asNeeded }
      nextDose { id scheduledAt }
    }
    interactionWarnings { severity description drugs { rxcui name } }
    errors { code field message }
  }
}"""

PRESCRIBE_WITH_WARNINGS = """
mutation Prescribe($input: PrescribeInput!) {
  prescribe(input: $input) {
    prescription { id selfReported }
    interactionWarnings { severity drugs { name } }
    warnings { code message }
    errors { code field message }
  }
}"""

UPDATE_PRESCRIPTION = """
mutation UpdatePrescription($id: ID!, $input: UpdatePrescriptionInput!) {
  updatePrescription(id: $id, input: $input) {
    prescription {
      id status schedule { timesOfDay daysOfWeek asNeeded } nextDose { id scheduledAt }
    }
    errors { code field message }
  }
}"""

DISCONTINUE = """
mutation DiscontinuePrescription($id: ID!, $reason: String!) {
  discontinuePrescription(id: $id, reason: $reason) {
    prescription { id status endDate nextDose { id } }
    errors { code field message }
  }
}"""

RECORD_FILL = """
mutation RecordFill($input: RecordFillInput!) {
  recordFill(input: $input) {
    fill { id filledOn daysSupply quantity }
    errors { code field message }
  }
}"""

RECORD_DOSE = """
mutation RecordDose($doseId: ID!, $status: DoseAction!, $takenAt: DateTime) {
  recordDose(doseId: $doseId, status: $status, takenAt: $takenAt) {
    dose { id status takenAt }
    errors { code field message }
  }
}"""

SNOOZE = """
mutation SnoozeReminder($doseId: ID!, $minutes: Int!) {
  snoozeReminder(doseId: $doseId, minutes: $minutes) {
    dose { id status scheduledAt snoozedUntil }
    errors { code field message }
  }
}"""

DOSES = """
query Doses($id: ID!, $from: DateTime!, $to: DateTime!) {
  patient(id: $id) { doses(from: $from, to: $to) { id scheduledAt status takenAt } }
}"""

WARFARIN, ASPIRIN, ATAZANAVIR, OMEPRAZOLE, LISINOPRIL = "11289", "1191", "343047", "7646", "29046"
SIMVASTATIN, METFORMIN = "36567", "6809"


def prescription(patient_id: object, drug: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "patientId": str(patient_id),
        "rxcui": drug,
        "dose": {"quantity": 1, "unit": "tablet"},
        "schedule": {"timesOfDay": ["08:00"]},
        "startDate": "2026-01-13",
    }
    data.update(overrides)
    return {"input": data}
