"""The documents under load: the contract's PatientList and PatientDashboard
verbatim for our server, and PostGraphile's nearest equivalents."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from graphql import OperationDefinitionNode, parse, print_ast


def contract_dir() -> Path:
    """As tests/contract finds it: PRESCRIPCARE_CONTRACT_DIR, or the shared
    directory beside the repository."""
    configured = os.environ.get("PRESCRIPCARE_CONTRACT_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "contract"


def contract_document(name: str) -> str:
    document = parse((contract_dir() / "operations.graphql").read_text())
    for definition in document.definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.name
            and definition.name.value == name
        ):
            return print_ast(definition)
    raise ValueError(f"no operation {name} in the contract")


# Fallbacks when the contract file is not on this machine: the same documents.
PATIENT_LIST = """
query PatientList($first: Int, $after: String, $search: String) {
  patients(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        id name dateOfBirth
        adherence(days: 30) { doseAdherence pdc }
        prescriptions(status: ACTIVE) { id drug { rxcui name } }
        nextDose { id scheduledAt }
      }
    }
  }
}"""

PATIENT_DASHBOARD = """
query PatientDashboard($id: ID!, $from: DateTime!, $to: DateTime!) {
  patient(id: $id) {
    id name timezone
    prescriptions(status: ACTIVE) {
      id status sig startDate endDate
      dose { quantity unit }
      schedule { timesOfDay daysOfWeek asNeeded }
      drug { rxcui name }
      nextDose { id scheduledAt status }
      adherence(days: 30) { doseAdherence pdc taken missed skipped scheduled }
    }
    doses(from: $from, to: $to) {
      id scheduledAt status takenAt
      prescription { id drug { name } }
      reminders { channel status sentAt }
    }
    interactions { severity description drugs { rxcui name } }
    adherence(days: 30) {
      doseAdherence pdc taken missed skipped scheduled daily { date taken scheduled }
    }
    caregivers { id email }
  }
}"""


def ours(name: str) -> str:
    try:
        return contract_document(name)
    except (OSError, ValueError):
        return PATIENT_LIST if name == "PatientList" else PATIENT_DASHBOARD


# PostGraphile (amber preset) over the same tables, with the computed columns
# of postgraphile/functions.sql. No PDC and no interactions: PostGraphile has
# no drug catalog logic to express them.
PG_PATIENT_LIST = """
query PatientList($first: Int) {
  allPatients(first: $first, orderBy: [NAME_ASC, ROW_ID_ASC]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        rowId name dateOfBirth
        adherence(days: 30) { doseAdherence }
        prescriptionsByPatientId(condition: { status: "ACTIVE" }) {
          nodes { rowId drugConceptByRxcui { rxcui name } }
        }
        nextDose { rowId scheduledAt }
      }
    }
  }
}"""

PG_PATIENT_DASHBOARD = """
query PatientDashboard($id: UUID!, $from: Datetime!, $to: Datetime!) {
  patientByRowId(rowId: $id) {
    rowId name timezone
    prescriptionsByPatientId(condition: { status: "ACTIVE" }) {
      nodes {
        rowId status sig startDate endDate doseQuantity doseUnit
        timesOfDay daysOfWeek asNeeded
        drugConceptByRxcui { rxcui name }
        nextDose { rowId scheduledAt status }
        adherence(days: 30) { doseAdherence taken missed skipped scheduled }
      }
    }
    dosesBetween(from: $from, to: $to) {
      nodes {
        rowId scheduledAt status takenAt
        prescriptionByPrescriptionId { rowId drugConceptByRxcui { name } }
        remindersByDoseId { nodes { channel status sentAt } }
      }
    }
    adherence(days: 30) { doseAdherence taken missed skipped scheduled }
    adherenceDaily(days: 30) { nodes { day taken scheduled } }
    caregiverLinksByPatientId { nodes { userByCaregiverId { rowId email } } }
  }
}"""


def dashboard_window(now: datetime) -> tuple[str, str]:
    """The dashboard's dose list: the last 30 days, as the app asks for it."""
    return (now - timedelta(days=30)).isoformat(), now.isoformat()
