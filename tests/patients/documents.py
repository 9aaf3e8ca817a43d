"""The contract's patient documents, verbatim, plus the care-team mutations."""

CREATE_PATIENT = """
mutation CreatePatient($input: CreatePatientInput!) {
  createPatient(input: $input) {
    patient { id name dateOfBirth timezone reminderChannels }
    errors { code field message }
  }
}"""

UPDATE_PATIENT = """
mutation UpdatePatient($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) {
    patient { id name timezone reminderChannels quietHours { start end } }
    errors { code field message }
  }
}"""

LINK_CAREGIVER = """
mutation LinkCaregiver($patientId: ID!, $email: String!) {
  linkCaregiver(patientId: $patientId, email: $email) {
    patient { id caregivers { id email } }
    errors { code field message }
  }
}"""

UNLINK_CAREGIVER = """
mutation Unlink($patientId: ID!, $caregiverId: ID!) {
  unlinkCaregiver(patientId: $patientId, caregiverId: $caregiverId) {
    patient { id caregivers { id } }
    errors { code field message }
  }
}"""

ADD_TEAM = """
mutation AddTeam($patientId: ID!, $email: String!) {
  addCareTeamMember(patientId: $patientId, email: $email) {
    patient { id careTeam { id email } }
    errors { code field message }
  }
}"""

REMOVE_TEAM = """
mutation RemoveTeam($patientId: ID!, $userId: ID!) {
  removeCareTeamMember(patientId: $patientId, userId: $userId) {
    patient { id careTeam { id } }
    errors { code field message }
  }
}"""

PATIENT = """
query Patient($id: ID!) { patient(id: $id) { id name caregivers { id } careTeam { id } } }
"""

# PatientList's patient fields (this part of the contract document).
PATIENT_LIST = """
query PatientList($first: Int, $after: String, $search: String) {
  patients(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node { id name dateOfBirth caregivers { id email } careTeam { id } }
    }
  }
}"""

SET_LANGUAGE = """
mutation SetLanguage($id: ID!, $language: String) {
  setPatientLanguage(patientId: $id, language: $language) {
    patient { id language }
    errors { code field message }
  }
}"""
