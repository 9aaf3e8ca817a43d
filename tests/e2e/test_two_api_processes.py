"""Subscription fan-out across replicas: a dashboard subscribed to one API
process with the graphql-ws npm client sees a dose recorded through another
API process and a reminder sent by a worker, because events go through Redis
and never through one process's memory."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt

from prescripcare.auth.models import Role
from prescripcare.db import transaction
from prescripcare.reminders.service import queue_due
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from prescripcare.worker import build_worker
from tests.e2e.live import HERE, needs_node
from tests.factories import account, patient
from tests.prescriptions.documents import RECORD_DOSE
from tests.processes import free_port, serve, stop, wait_healthy
from tests.providers import TwilioStandIn
from tests.reminders.due import sms_doses_due

pytestmark = needs_node("graphql-ws")


async def _two_due_doses(res: Resources, patient_id: uuid.UUID) -> list[uuid.UUID]:
    """Two doses due in the last minutes (real time: the API and worker
    processes run on the real clock), both with an SMS reminder queued."""
    now = datetime.now(UTC)
    async with transaction(res.sessions) as session:
        doses = await sms_doses_due(session, now, 2, timedelta(minutes=2), patient_id=patient_id)
        assert await queue_due(session, now, timedelta(hours=1), ["SMS"]) == 2
    return doses


async def test_a_dashboard_on_one_replica_sees_events_from_another_and_the_worker(
    resources: Resources, migrated: Settings, catalog: object, twilio: TwilioStandIn
) -> None:
    clinician = await account(resources, Role.CLINICIAN)
    patient_id = await patient(resources, clinician, "Replica Test")
    issued = jwt.decode(clinician.token, options={"verify_signature": False})["iat"]
    claims = resources.tokens.decode(clinician.token, datetime.fromtimestamp(issued, tz=UTC))
    # The replicas check expiry on the real clock, not the suite's clock.
    token = resources.tokens.issue(
        clinician.id, Role.CLINICIAN, claims.family_id, datetime.now(UTC)
    )
    taken_dose, reminded_dose = await _two_due_doses(resources, patient_id)

    ports = [free_port(), free_port()]
    apis = [serve(migrated, port, HERE) for port in ports]
    subscriber: asyncio.subprocess.Process | None = None
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, apis, strict=True):
            await asyncio.to_thread(wait_healthy, url, process)
        subscriber = await asyncio.create_subprocess_exec(
            "node",
            str(HERE / "subscribe.mjs"),
            f"ws://127.0.0.1:{ports[0]}/graphql",
            token,
            str(patient_id),
            "DOSE_TAKEN,REMINDER_SENT",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert subscriber.stdout is not None
        first = await asyncio.wait_for(subscriber.stdout.readline(), 30)
        assert json.loads(first) == {"connected": True}, first
        await asyncio.sleep(0.5)  # the server subscribes to Redis after the ack

        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{urls[1]}/graphql",
                json={
                    "query": RECORD_DOSE,
                    "variables": {"doseId": str(taken_dose), "status": "TAKEN"},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
        body = response.json()
        assert not body.get("errors") and not body["data"]["recordDose"]["errors"], body

        worker = build_worker(twilio.configure(migrated), burst=True, handle_signals=False)
        try:
            await worker.async_run()
        finally:
            await worker.close()

        out, err = await asyncio.wait_for(subscriber.communicate(), 30)
        assert subscriber.returncode == 0, (out, err)
        events = [json.loads(line)["data"]["reminderStatus"] for line in out.splitlines()]
        by_kind = {event["kind"]: event for event in events}
        assert by_kind["DOSE_TAKEN"]["dose"] == {"id": str(taken_dose), "status": "TAKEN"}
        assert by_kind["REMINDER_SENT"]["dose"]["id"] == str(reminded_dose)
        assert by_kind["REMINDER_SENT"]["channel"] == "SMS"
        # The taken dose's queued reminder was not sent after it was taken.
        assert len(twilio.messages) == 1
    finally:
        if subscriber is not None and subscriber.returncode is None:
            subscriber.kill()
        for process in apis:
            stop(process)
