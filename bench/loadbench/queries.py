"""The documents under load: the contract's PatientList and PatientDashboard
verbatim for our server, and PostGraphile's nearest equivalents."""

from __future__ import annotations

from datetime import datetime, timedelta

from prescripcare.graphql.trusted import contract_operation


def ours(name: str) -> str:
    """The contract's document, verbatim, as the clients send it."""
    return contract_operation(name)


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
        reminders { nodes { channel status sentAt } }
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
