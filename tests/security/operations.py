"""The contract's operations, walked through the server's schema: every
string-like argument reachable through an operation's variables (input
objects and lists included), and who may run each operation."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    OperationType,
    parse,
    print_ast,
    type_from_ast,
    validate,
)

from prescripcare.auth.models import Role
from prescripcare.graphql.schema import schema
from tests.contract.documents import contract_source

NOT_STRINGS = {"Int", "Float", "Boolean"}
Path = tuple[str | int, ...]

P, C, D, A = Role.PATIENT, Role.CAREGIVER, Role.CLINICIAN, Role.ADMIN
EVERYONE = (P, C, D, A)
# The contract README's table: who may run each operation (None: no token
# needed). Any other role is a top-level FORBIDDEN, whatever the target.
MAY_RUN: dict[str, tuple[Role | None, ...]] = {
    "Register": (None,),
    "Login": (None,),
    "RefreshToken": (None,),
    "Logout": (None,),
    "CreateUser": (A,),
    "Me": EVERYONE,
    "CreatePatient": (D, A),
    "UpdatePatient": (P, D, A),
    "LinkCaregiver": (P, D, A),
    "PatientList": EVERYONE,
    "PatientDashboard": EVERYONE,
    "DrugSearch": EVERYONE,
    "Drug": EVERYONE,
    "InteractionCheck": EVERYONE,
    "Prescribe": (P, D),
    "UpdatePrescription": (P, D),
    "DiscontinuePrescription": (P, D),
    "RecordFill": (P, D, A),
    "RecordDose": (P, C, D),
    "SnoozeReminder": (P, C, D),
    "ReminderStatus": EVERYONE,
    "ExportPatientData": (P, A),
    "ErasePatient": (P, A),
    "AuditLog": (P, A),
    # Served beyond the contract (care-team management).
    "AddCareTeamMember": (D, A),  # staff-only (docs/security.md)
    "UnlinkCaregiver": EVERYONE,
    "RemoveCareTeamMember": (P, D, A),
}

# Operations the schema serves beyond the contract that take a patient's ID.
EXTRA_DOCUMENTS = """
mutation AddCareTeamMember($patientId: ID!, $email: String!) {
  addCareTeamMember(patientId: $patientId, email: $email) {
    patient { id careTeam { id } } errors { code field message }
  }
}
mutation UnlinkCaregiver($patientId: ID!, $caregiverId: ID!) {
  unlinkCaregiver(patientId: $patientId, caregiverId: $caregiverId) {
    patient { id caregivers { id } } errors { code field message }
  }
}
mutation RemoveCareTeamMember($patientId: ID!, $userId: ID!) {
  removeCareTeamMember(patientId: $patientId, userId: $userId) {
    patient { id careTeam { id } } errors { code field message }
  }
}
"""


@dataclass(frozen=True)
class Operation:
    name: str
    kind: OperationType
    document: str
    field: str  # the root field, where a query's answer or a mutation's payload is
    strings: tuple[tuple[Path, str], ...]  # (variable path, scalar name)
    served: bool  # validates against today's schema

    def paths_of(self, scalar: str) -> list[Path]:
        return [path for path, name in self.strings if name == scalar]


def _string_paths(kind: GraphQLInputType, path: Path) -> list[tuple[Path, str]]:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList):
        return _string_paths(kind.of_type, (*path, 0))
    if isinstance(kind, GraphQLInputObjectType):
        return [
            found
            for name, field in kind.fields.items()
            for found in _string_paths(field.type, (*path, name))
        ]
    if isinstance(kind, GraphQLScalarType) and kind.name not in NOT_STRINGS:
        return [(path, kind.name)]
    return []  # enums and numbers: GraphQL itself refuses anything else


def _operation(node: OperationDefinitionNode) -> Operation:
    assert node.name is not None
    document = DocumentNode(definitions=(node,))
    served = not validate(schema._schema, document)
    strings: list[tuple[Path, str]] = []
    for definition in node.variable_definitions or ():
        kind = type_from_ast(schema._schema, definition.type)
        if kind is not None:
            strings += _string_paths(kind, (definition.variable.name.value,))  # type: ignore[arg-type]
    first = node.selection_set.selections[0]
    return Operation(
        name=node.name.value,
        kind=node.operation,
        document=print_ast(document),
        field=first.name.value,  # type: ignore[attr-defined]
        strings=tuple(strings),
        served=served,
    )


def contract_operations(source: str | None = None) -> list[Operation]:
    source = source or contract_source()
    return [
        _operation(d) for d in parse(source).definitions if isinstance(d, OperationDefinitionNode)
    ]


OPERATIONS = contract_operations()
HTTP_OPERATIONS = [op for op in OPERATIONS if op.kind is not OperationType.SUBSCRIPTION]
EXTRA_OPERATIONS = contract_operations(EXTRA_DOCUMENTS)


def dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


def with_value(variables: dict[str, Any], path: Path, value: object) -> dict[str, Any]:
    """A copy of `variables` with `value` at `path`, creating what is missing."""
    out = copy.deepcopy(variables)
    target: Any = out
    for step, following in itertools.pairwise(path):
        if isinstance(target, dict):
            if target.get(step) is None:
                target[step] = [] if isinstance(following, int) else {}
            target = target[step]
        else:
            if not target:
                target.append([] if isinstance(following, int) else {})
            target = target[step]
    last = path[-1]
    if isinstance(target, list):
        if target:
            target[0] = value
        else:
            target.append(value)
    else:
        target[last] = value
    return out
