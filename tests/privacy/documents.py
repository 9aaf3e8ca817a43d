"""The contract's privacy documents, verbatim, plus the erasure summary."""

EXPORT = """
mutation ExportPatientData($patientId: ID!) {
  exportPatientData(patientId: $patientId) {
    json
    errors { code field message }
  }
}"""

ERASE = """
mutation ErasePatient($patientId: ID!) {
  erasePatient(patientId: $patientId) {
    ok
    erased { patientId accountDeleted remindersCancelled removed { table rows } }
    errors { code field message }
  }
}"""
