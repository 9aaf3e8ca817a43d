"""Subscribing to a patient's events is a recorded read, and so is the first
event of each patient an all-patients subscription delivers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from prescripcare.app import create_app
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.drugs.seed import SeedReport
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.audit.helpers import actions, log_rows
from tests.factories import account, patient
from tests.prescriptions.documents import RECORD_DOSE
from tests.reminders.outbox import DUE
from tests.reminders.subscriber import gql, next_event, prescribe_and_first_dose, subscribe


@pytest.fixture
def ws_client(migrated: Settings, clock: SettableClock) -> Iterator[TestClient]:
    with TestClient(create_app(migrated, clock=clock)) as test_client:
        yield test_client


async def test_subscriptions_are_recorded(
    ws_client: TestClient, resources: Resources, clock: SettableClock, catalog: SeedReport
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    first = str(await patient(resources, doctor, "First"))
    second = str(await patient(resources, doctor, "Second"))
    one = prescribe_and_first_dose(ws_client, doctor, first)
    two = prescribe_and_first_dose(ws_client, doctor, second)
    clock.set(DUE)
    before = len(await log_rows(resources))
    with ws_client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, doctor.now_token, {"patientId": first})
        gql(ws_client, doctor, RECORD_DOSE, {"doseId": one["nextDose"]["id"], "status": "TAKEN"})
        assert next_event(ws)["kind"] == "DOSE_TAKEN"
    reads = [r for r in (await log_rows(resources))[before:] if r.actor_id == doctor.id]
    # The subscription once (its events are that reading) and the dose write;
    # the subscription's session and visibility checks may still be running
    # when the write commits, so the two entries come in either order.
    assert sorted((r.action, str(r.patient_id)) for r in reads) == [
        ("DOSE_RECORDED", first),
        ("PATIENT_SUBSCRIBED", first),
    ]
    before = len(await log_rows(resources))
    with ws_client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, doctor.now_token, {})
        gql(ws_client, doctor, RECORD_DOSE, {"doseId": two["nextDose"]["id"], "status": "TAKEN"})
        assert next_event(ws)["dose"]["id"] == two["nextDose"]["id"]
        gql(ws_client, doctor, RECORD_DOSE, {"doseId": two["nextDose"]["id"], "status": "SKIPPED"})
        assert next_event(ws)["kind"] == "DOSE_SKIPPED"
    new = [(r.action, str(r.patient_id)) for r in (await log_rows(resources))[before:]]
    # One read for the second patient's events, however many were delivered.
    assert new.count(("PATIENT_READ", second)) == 1
    assert ("PATIENT_READ", first) not in new
    assert (await actions(resources, second)).count("DOSE_RECORDED") == 2
