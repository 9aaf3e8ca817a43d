"""Every client document in the shared contract validates against our schema.

Documents that need fields a later issue adds are expected to fail, strictly:
when that issue lands the test turns green-unexpectedly and the mark must go,
so this list only ever shrinks.
"""

from __future__ import annotations

import pytest
from graphql import DocumentNode, OperationDefinitionNode, validate

from prescripcare.graphql.schema import schema
from tests.contract.documents import contract_document

PENDING = {}


def _operations() -> list[OperationDefinitionNode]:
    document = contract_document()
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


OPERATIONS = _operations()


def _params() -> list[object]:
    params = []
    for op in OPERATIONS:
        assert op.name is not None
        name = op.name.value
        marks = [pytest.mark.xfail(reason=PENDING[name], strict=True)] if name in PENDING else []
        params.append(pytest.param(op, id=name, marks=marks))
    return params


# Served since the foundation (2), drug (3) and prescription (4) issues.
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
    # Security and privacy (7).
    "ExportPatientData",
    "ErasePatient",
    "AuditLog",
}


def test_every_contract_document_is_served_or_pending() -> None:
    names = [op.name.value for op in OPERATIONS if op.name]
    assert len(names) == len(OPERATIONS) == len(set(names))
    assert set(names) == SERVED | set(PENDING)


@pytest.mark.parametrize("operation", _params())
def test_document_validates(operation: OperationDefinitionNode) -> None:
    errors = validate(schema._schema, DocumentNode(definitions=(operation,)))
    assert errors == [], [e.message for e in errors]
