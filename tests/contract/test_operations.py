"""Every client document of the contract validates against our schema, and
the contract holds exactly the operations we serve."""

from __future__ import annotations

import pytest
from graphql import DocumentNode, OperationDefinitionNode, validate

from prescripcare.graphql.schema import schema
from tests.contract.documents import contract_document


def _operations() -> list[OperationDefinitionNode]:
    document = contract_document()
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


OPERATIONS = _operations()


def _params() -> list[object]:
    return [pytest.param(op, id=op.name.value if op.name else None) for op in OPERATIONS]


SERVED = {
    "Register",
    "Login",
    "RefreshToken",
    "Logout",
    "CreateUser",
    "Me",
    "CreatePatient",
    "UpdatePatient",
    "LinkCaregiver",
    "DrugSearch",
    "Drug",
    "InteractionCheck",
    "Prescribe",
    "UpdatePrescription",
    "DiscontinuePrescription",
    "RecordFill",
    "RecordDose",
    "SnoozeReminder",
    "PatientList",
    "PatientDashboard",
    "ReminderStatus",
    "ExportPatientData",
    "ErasePatient",
    "AuditLog",
}


def test_every_contract_document_is_served() -> None:
    names = [op.name.value for op in OPERATIONS if op.name]
    assert len(names) == len(OPERATIONS) == len(set(names))
    assert set(names) == SERVED


@pytest.mark.parametrize("operation", _params())
def test_document_validates(operation: OperationDefinitionNode) -> None:
    errors = validate(schema._schema, DocumentNode(definitions=(operation,)))
    assert errors == [], [e.message for e in errors]
