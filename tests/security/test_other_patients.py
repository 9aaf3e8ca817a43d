"""Another patient's IDs in every contract operation that takes one, sent by
patient A, A's caregiver and a clinician on A's care team: answered exactly
like an ID that does not exist (or FORBIDDEN where the role may never run
the operation), and nothing is written.

Table-driven over the contract document: an operation that gains an ID
argument without an entry in ID_KINDS, or without a baseline, fails here."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import OperationType
from starlette.testclient import TestClient

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.security.conftest import Hostile, production_settings, row_counts
from tests.security.operations import (
    EXTRA_OPERATIONS,
    HTTP_OPERATIONS,
    MAY_RUN,
    OPERATIONS,
    Operation,
    dotted,
)
from tests.security.operations import with_value as replaced
from tests.security.verdict import Answer, answer
from tests.security.world import BASELINES, World, build_world

# What each ID argument of the contract names.
ID_KINDS: dict[tuple[str, str], str | None] = {
    ("UpdatePatient", "id"): "patient",
    ("LinkCaregiver", "patientId"): "patient",
    ("PatientDashboard", "id"): "patient",
    ("Prescribe", "input.patientId"): "patient",
    ("UpdatePrescription", "id"): "prescription",
    ("DiscontinuePrescription", "id"): "prescription",
    ("RecordFill", "input.prescriptionId"): "prescription",
    ("RecordDose", "doseId"): "dose",
    ("SnoozeReminder", "doseId"): "dose",
    ("ReminderStatus", "patientId"): "patient",
    ("ReminderStatus", "after"): "event",
    ("ExportPatientData", "patientId"): "patient",
    ("ErasePatient", "patientId"): "patient",
    ("AuditLog", "patientId"): "patient",
    ("AddCareTeamMember", "patientId"): "patient",
    ("UnlinkCaregiver", "patientId"): "patient",
    ("RemoveCareTeamMember", "patientId"): "patient",
    # A's own caregiver and clinician, left as they are: the patient is foreign.
    ("UnlinkCaregiver", "caregiverId"): None,
    ("RemoveCareTeamMember", "userId"): None,
}
MALFORMED_IDS = ["not-a-uuid", ""]
ACTORS = (Role.PATIENT, Role.CAREGIVER, Role.CLINICIAN)
WITH_IDS = [op for op in [*HTTP_OPERATIONS, *EXTRA_OPERATIONS] if op.paths_of("ID")]
SUBSCRIPTION = next(op for op in OPERATIONS if op.name == "ReminderStatus")


def test_every_id_argument_of_the_contract_is_known_and_has_a_baseline() -> None:
    for op in [*OPERATIONS, *EXTRA_OPERATIONS]:
        for path in op.paths_of("ID"):
            assert (op.name, dotted(path)) in ID_KINDS, f"add {op.name}.{dotted(path)} to ID_KINDS"
            assert op.name in BASELINES, f"add a baseline for {op.name} (tests/security/world.py)"


def _foreign(world: World, kind: str) -> str:
    return {
        "patient": world.patient_id,
        "prescription": world.prescription_id,
        "dose": world.dose_id,
    }[kind]


def _shape(got: Answer) -> Any:
    """An answer without the ID in it, to compare two refusals."""
    errors = [
        {"code": (e.get("extensions") or {}).get("code"), "message": e["message"]}
        for e in got.body.get("errors") or []
    ]
    return got.status, errors, got.payload


@pytest.fixture
async def worlds(
    production_resources: Resources, hostile: Hostile, catalog: SeedReport
) -> tuple[World, World]:
    return (
        await build_world(production_resources, hostile),
        await build_world(production_resources, hostile),
    )


@pytest.mark.parametrize("op", WITH_IDS, ids=lambda op: op.name)
async def test_another_patients_ids_are_not_found(
    op: Operation,
    worlds: tuple[World, World],
    hostile: Hostile,
    production_resources: Resources,
) -> None:
    if not op.served:
        pytest.skip(f"{op.name} is not served yet")
    mine, theirs = worlds
    faults: list[Any] = []
    for role in ACTORS:
        baseline = await BASELINES[op.name](mine, role, hostile)
        token = mine.token(role)
        for path in op.paths_of("ID"):
            field = dotted(path)
            kind = ID_KINDS[op.name, field]
            if kind is None:
                continue
            nowhere = answer(
                await hostile.post(op.document, replaced(baseline, path, str(uuid.uuid4())), token),
                op.field,
            )
            counts = await row_counts(production_resources)
            for value in [_foreign(theirs, kind), *MALFORMED_IDS]:
                variables = replaced(baseline, path, value)
                got = answer(await hostile.post(op.document, variables, token), op.field)
                where = (role.value, field, value)
                if role not in MAY_RUN[op.name]:
                    if got.top_codes != ["FORBIDDEN"] or got.payload is not None:
                        faults.append((*where, "not FORBIDDEN", got.body))
                elif op.kind is OperationType.QUERY:
                    if got.top_codes != ["NOT_FOUND"] or got.payload is not None:
                        faults.append((*where, "not null + NOT_FOUND", got.body))
                elif got.top_codes or got.payload_codes != ["NOT_FOUND"]:
                    faults.append((*where, "not a NOT_FOUND payload", got.body))
                if _shape(got) != _shape(nowhere):
                    faults.append((*where, "answered unlike a missing ID", got.body))
                if await row_counts(production_resources) != counts:
                    faults.append((*where, "wrote rows"))
    assert faults == []


def _subscribe(client: TestClient, token: str, variables: dict[str, Any]) -> dict[str, Any]:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIPTION.document, "variables": variables},
            }
        )
        message: dict[str, Any] = ws.receive_json()
        return message


def test_another_patients_reminder_stream_is_not_found(
    migrated: Settings, clock: SettableClock, worlds: tuple[World, World]
) -> None:
    mine, theirs = worlds
    answers = {}
    with TestClient(create_app(production_settings(migrated), clock=clock)) as client:
        for role in ACTORS:
            token = mine.token(role)
            assert token is not None
            for value in [theirs.patient_id, str(uuid.uuid4()), *MALFORMED_IDS]:
                message = _subscribe(client, token, {"patientId": value})
                payload = message.get("payload") or {}
                answers[role.value, value] = (
                    message["type"],
                    payload.get("data"),
                    [e["extensions"]["code"] for e in payload.get("errors") or []],
                )
    assert all(a == ("next", None, ["NOT_FOUND"]) for a in answers.values()), answers
