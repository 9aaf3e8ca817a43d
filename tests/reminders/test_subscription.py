"""reminderStatus over graphql-transport-ws: token in connection_init, live
events, replay with `after`, no other patient's events, 4403 on expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from prescripcare.app import create_app
from prescripcare.audit.batch import ReadAuditBatcher
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.drugs.seed import SeedReport
from prescripcare.reminders.subscription import VISIBILITY_RECHECK
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.factories import account, patient
from tests.patients.documents import ADD_TEAM, REMOVE_TEAM
from tests.prescriptions.documents import RECORD_DOSE
from tests.reminders.outbox import DUE
from tests.reminders.subscriber import gql, next_event, prescribe_and_first_dose, subscribe


@pytest.fixture
def client(migrated: Settings, clock: SettableClock) -> Iterator[TestClient]:
    with TestClient(create_app(migrated, clock=clock)) as test_client:
        yield test_client


@pytest.fixture
async def setup(resources: Resources, catalog: SeedReport, clock: SettableClock) -> dict[str, Any]:
    doctor = await account(resources, Role.CLINICIAN)
    me = await account(resources, Role.PATIENT, timezone="Europe/London")
    other = await patient(resources, doctor, "Other", timezone="Europe/London")
    return {"doctor": doctor, "me": me, "other": str(other)}


def test_no_token_no_socket(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


def test_live_events_replay_and_privacy(
    client: TestClient, clock: SettableClock, setup: dict[str, Any]
) -> None:
    me, doctor = setup["me"], setup["doctor"]
    mine = prescribe_and_first_dose(client, me, str(me.patient_id))
    theirs = prescribe_and_first_dose(client, doctor, setup["other"])
    clock.set(DUE)
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, me.now_token, {})
        # Another patient's dose first: this subscriber must not hear of it.
        gql(client, doctor, RECORD_DOSE, {"doseId": theirs["nextDose"]["id"], "status": "TAKEN"})
        gql(client, me, RECORD_DOSE, {"doseId": mine["nextDose"]["id"], "status": "TAKEN"})
        event = next_event(ws)
        assert event["kind"] == "DOSE_TAKEN" and event["channel"] is None
        assert event["dose"] == {
            "id": mine["nextDose"]["id"],
            "scheduledAt": mine["nextDose"]["scheduledAt"],
            "status": "TAKEN",
            "prescription": {"id": mine["id"]},
        }
        first_id = event["id"]
    # While nobody listens: a correction and a skip elsewhere in the day.
    gql(client, me, RECORD_DOSE, {"doseId": mine["nextDose"]["id"], "status": "SKIPPED"})
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, me.now_token, {"patientId": str(me.patient_id), "after": first_id})
        missed = next_event(ws)
        assert missed["kind"] == "DOSE_SKIPPED" and missed["id"] > first_id


def test_a_hidden_patient_is_not_found(client: TestClient, setup: dict[str, Any]) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, setup["me"].now_token, {"patientId": setup["other"]})
        message = ws.receive_json()
    # The error comes as the stream's only result, with no data, worded as
    # the patient query's.
    assert message["type"] == "next"
    assert message["payload"] == {
        "data": None,
        "errors": [{"message": "Patient not found", "extensions": {"code": "NOT_FOUND"}}],
    }


def test_an_expired_token_closes_the_socket_with_4403(
    client: TestClient, clock: SettableClock, setup: dict[str, Any]
) -> None:
    me = setup["me"]
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, me.now_token, {})
        clock.advance(timedelta(minutes=16))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


@pytest.fixture
async def team(resources: Resources, setup: dict[str, Any]) -> dict[str, Any]:
    kept = await patient(resources, setup["doctor"], "Kept", timezone="Europe/London")
    return {"kept": str(kept), "colleague": await account(resources, Role.CLINICIAN)}


def test_access_that_ends_ends_for_an_open_socket(
    client: TestClient, clock: SettableClock, setup: dict[str, Any], team: dict[str, Any]
) -> None:
    """A clinician removed from the care team stops hearing of the patient
    within VISIBILITY_RECHECK, though their socket and token live on."""
    doctor, other, kept, colleague = (
        setup["doctor"],
        setup["other"],
        team["kept"],
        team["colleague"],
    )
    theirs = prescribe_and_first_dose(client, doctor, other)["nextDose"]["id"]
    mine = prescribe_and_first_dose(client, doctor, kept)["nextDose"]["id"]
    clock.set(DUE)
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, doctor.now_token, {})
        gql(client, doctor, RECORD_DOSE, {"doseId": theirs, "status": "TAKEN"})
        assert next_event(ws)["dose"]["id"] == theirs  # on the team: heard

        gql(client, doctor, ADD_TEAM, {"patientId": other, "email": colleague.email})
        gql(client, colleague, REMOVE_TEAM, {"patientId": other, "userId": str(doctor.id)})
        clock.advance(VISIBILITY_RECHECK)
        gql(client, colleague, RECORD_DOSE, {"doseId": theirs, "status": "SKIPPED"})
        gql(client, doctor, RECORD_DOSE, {"doseId": mine, "status": "TAKEN"})
        # The next event heard is the kept patient's: the other's was withheld.
        assert next_event(ws)["dose"]["id"] == mine


def test_an_unexpected_error_reaches_the_socket_masked(
    client: TestClient, setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As over HTTP: the code and the request id, never the exception's words
    (they may quote a patient's data)."""
    secret = "row 42 of patient Ann Example"

    async def fail(*_: object) -> None:
        raise RuntimeError(secret)

    monkeypatch.setattr(ReadAuditBatcher, "record", fail)
    me = setup["me"]
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, me.now_token, {"patientId": str(me.patient_id)})
        message = ws.receive_json()
    assert secret not in str(message)
    [error] = message["payload"]["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"].startswith("Internal server error. Quote request id")
