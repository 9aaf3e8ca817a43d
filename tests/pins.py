"""The pinned SQL statement counts of the dashboard and the patient list,
and the contract documents they are measured on (tests/test_query_counts.py,
the audit and load-seed tests)."""

from __future__ import annotations

from prescripcare.graphql.trusted import contract_operation

# The pinned statement counts: a change here must be deliberate. Each includes
# the one INSERT that writes the request's patient reads to the audit log.
PIN_DASHBOARD = 18
PIN_LIST = 11

# The contract's own documents, as the web app sends them.
DASHBOARD = contract_operation("PatientDashboard")

PATIENT_LIST = contract_operation("PatientList")
