"""Logs are JSON lines carrying the request id, and no patient's name, phone
number or e-mail address, even at DEBUG through a whole clinical flow:
creating the patient, a rejected input quoting their data, prescribing,
recording a dose and sending them a reminder."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.drugs.seed import SeedReport
from prescripcare.notifications.console import ConsoleChannel
from prescripcare.observability.logs import configure_logging
from prescripcare.patients import service
from prescripcare.reminders.service import RetryPolicy, queue_due, send_ready
from prescripcare.resources import Resources
from tests.factories import account
from tests.patients.documents import CREATE_PATIENT
from tests.prescriptions.documents import PRESCRIBE, RECORD_DOSE, prescription

NAME = "Philippa Quintessa Harrowgate"
PHONE = "+1 202-555-0187"
EMAIL = "philippa.harrowgate@example.org"
SECRETS = [NAME, "Harrowgate", "Philippa", "2025550187", "202-555-0187", EMAIL, "harrowgate@"]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The process's real logging set-up, at DEBUG, writing to a buffer."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str, rid: str
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": rid},
    )
    assert response.headers["x-request-id"] == rid
    body: dict[str, Any] = response.json()
    return body


async def test_logs_are_json_with_request_ids_and_no_patient_data(
    client: httpx.AsyncClient,
    resources: Resources,
    catalog: SeedReport,
    captured: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doctor = await account(resources, Role.CLINICIAN)
    patient = {
        "name": NAME,
        "dateOfBirth": "1961-04-02",
        "timezone": "Europe/London",
        "phone": PHONE,
        "email": EMAIL,
        "reminderChannels": ["SMS", "EMAIL"],
    }
    made = await _post(client, CREATE_PATIENT, {"input": patient}, doctor.token, "rid-create")
    pid = made["data"]["createPatient"]["patient"]["id"]
    # Rejected inputs echo what was sent in their messages: the log must not.
    await _post(
        client, CREATE_PATIENT, {"input": {**patient, "dateOfBirth": NAME}}, doctor.token, "rid-bad"
    )
    await _post(client, CREATE_PATIENT, {"input": {"name": 7, "phone": PHONE}}, doctor.token, "r2")
    rx = await _post(client, PRESCRIBE, prescription(pid, "6809"), doctor.token, "rid-rx")
    dose = rx["data"]["prescribe"]["prescription"]["nextDose"]
    now = resources.clock.now() + timedelta(days=1)
    async with transaction(resources.sessions) as session:
        await queue_due(session, now, timedelta(days=2), ["SMS", "EMAIL"])
    channels = {"SMS": ConsoleChannel("SMS"), "EMAIL": ConsoleChannel("EMAIL")}
    report = await send_ready(resources.sessions, channels, now, RetryPolicy(), "https://x")
    assert report.sent >= 1
    taken = {"doseId": dose["id"], "status": "TAKEN"}
    await _post(client, RECORD_DOSE, taken, doctor.token, "rid-dose")

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"cannot store {NAME} ({EMAIL}, {PHONE})")

    monkeypatch.setattr(service, "create_patient", broken)
    failed = await _post(client, CREATE_PATIENT, {"input": patient}, doctor.token, "rid-boom")
    assert failed["errors"][0]["extensions"]["requestId"] == "rid-boom"

    lines = [line for line in captured.getvalue().splitlines() if line]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message", "request_id"} <= set(records[0])
    access = [r for r in records if r["logger"] == "prescripcare.access"]
    assert {r["request_id"] for r in access} >= {"rid-create", "rid-bad", "rid-rx", "rid-dose"}
    assert any(r["logger"] == "prescripcare.reminders" for r in records), "sends were logged"
    boom = [r for r in records if r["request_id"] == "rid-boom" and "exc_info" in r]
    assert boom and "RuntimeError" in boom[0]["exc_info"], "the failure was logged"
    text = captured.getvalue()
    leaked = [s for s in SECRETS if s.lower() in text.lower()]
    assert leaked == [], f"patient data in the log: {leaked}"
