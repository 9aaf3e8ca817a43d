"""Twilio callbacks: signatures checked against PUBLIC_BASE_URL, delivery
status recorded, STOP withdraws SMS consent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlmodel import col
from twilio.request_validator import RequestValidator

from prescripcare.app import create_app
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.notifications.console import ConsoleChannel
from prescripcare.patients.models import Patient
from prescripcare.realtime.events import Event, EventKind, stream_key
from prescripcare.reminders.consent import ChannelConsent
from prescripcare.reminders.models import Reminder
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.conftest import asgi_client
from tests.ops.scrape import delta, scrape
from tests.reminders.outbox import DUE, FAILED_SMS, Flaky, queue, send

TOKEN = "twilio-webhook-token"
BASE = "https://api.prescripcare.example"


@pytest.fixture
async def hooks(migrated: Settings, clock: SettableClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.model_copy(
        update={"public_base_url": BASE, "twilio_auth_token": SecretStr(TOKEN)}
    )
    app = create_app(settings, clock=clock)
    async with LifespanManager(app), asgi_client(app, "http://t") as client:
        yield client


async def post(
    client: httpx.AsyncClient, path: str, form: dict[str, str], signed: bool = True
) -> httpx.Response:
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE}{path}", form)
    headers = {"X-Twilio-Signature": signature if signed else "forged"}
    return await client.post(path, data=form, headers=headers)


@pytest.mark.usefixtures("dose")
async def test_forged_callbacks_are_refused(hooks: httpx.AsyncClient) -> None:
    for path in ("/webhooks/twilio/status", "/webhooks/twilio/inbound"):
        response = await post(hooks, path, {"From": "+442079460123", "Body": "STOP"}, signed=False)
        assert response.status_code == 403


@pytest.mark.usefixtures("dose")
async def test_delivery_status_is_recorded(hooks: httpx.AsyncClient, resources: Resources) -> None:
    await queue(resources, DUE)
    await send(resources, {"SMS": Flaky(0), "EMAIL": Flaky(0)}, DUE)
    async with resources.sessions() as s:
        sms = (await s.scalars(select(Reminder).where(col(Reminder.channel) == "SMS"))).one()
    response = await post(
        hooks,
        "/webhooks/twilio/status",
        {"MessageSid": sms.provider_message_id or "", "MessageStatus": "delivered"},
    )
    assert response.status_code == 204
    async with resources.sessions() as s:
        row = await s.get(Reminder, sms.id)
        assert row is not None and row.status == "DELIVERED"


@pytest.mark.parametrize("status", ["failed", "undelivered"])
@pytest.mark.usefixtures("dose")
async def test_a_message_twilio_could_not_deliver_is_a_counted_failed_reminder(
    hooks: httpx.AsyncClient, resources: Resources, status: str
) -> None:
    await queue(resources, DUE)
    # Message ids must differ (Flaky numbers its own: SM1, SM2, ...).
    await send(resources, {"SMS": Flaky(0), "EMAIL": ConsoleChannel("EMAIL")}, DUE)
    async with resources.sessions() as s:
        sms = (await s.scalars(select(Reminder).where(col(Reminder.channel) == "SMS"))).one()
    before = await scrape(hooks)
    form = {"MessageSid": sms.provider_message_id or "", "MessageStatus": status}
    delivered = await post(hooks, "/webhooks/twilio/status", {**form, "MessageStatus": "sent"})
    assert delivered.status_code == 204
    assert delta(before, await scrape(hooks), FAILED_SMS) == 0
    # Twilio repeats a callback it got no answer to: the failure counts once.
    for _ in range(2):
        response = await post(hooks, "/webhooks/twilio/status", {**form, "ErrorCode": "30005"})
        assert response.status_code == 204
    assert delta(before, await scrape(hooks), FAILED_SMS) == 1
    async with resources.sessions() as s:
        row = await s.get(Reminder, sms.id)
        assert row is not None and (row.status, row.last_error) == ("FAILED", "30005")
    entries = await resources.redis.xrange(stream_key(resources.keys))
    events = [
        Event.parse(
            entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
            {
                (k.decode() if isinstance(k, bytes) else k): (
                    v.decode() if isinstance(v, bytes) else v
                )
                for k, v in fields.items()
            },
        )
        for entry_id, fields in entries
    ]
    assert [(e.kind, e.channel, e.dose_id) for e in events][-1] == (
        EventKind.REMINDER_FAILED,
        "SMS",
        sms.dose_id,
    )


@pytest.mark.usefixtures("dose")
async def test_stop_withdraws_sms_consent_and_stops_sms_reminders(
    hooks: httpx.AsyncClient, resources: Resources
) -> None:
    response = await post(
        hooks, "/webhooks/twilio/inbound", {"From": "+442079460123", "Body": " stop "}
    )
    assert response.status_code == 200 and "<Response>" in response.text
    async with resources.sessions() as s:
        patient = (await s.scalars(select(Patient))).one()
        consent = (
            await s.scalars(select(ChannelConsent).where(col(ChannelConsent.source) == "sms-stop"))
        ).one()
    assert patient.reminder_channels == ["EMAIL"]
    assert (consent.channel, consent.granted, consent.by_user_id) == ("SMS", False, None)
    assert await queue(resources, DUE) == 1  # e-mail only


async def test_update_patient_records_consent(
    gql: Any, resources: Resources, doctor: Any, clock: SettableClock
) -> None:
    from tests.factories import patient
    from tests.patients.documents import UPDATE_PATIENT

    pid = str(await patient(resources, doctor, "Consent", timezone="Europe/London"))
    async with transaction(resources.sessions) as session:
        await session.execute(
            update(Patient).values(phone="+442079460123", phone_blind_index="+442079460123")
        )
    await gql.data(
        UPDATE_PATIENT,
        {"id": pid, "input": {"reminderChannels": ["SMS", "PUSH"]}},
        token=doctor.token,
    )
    clock.advance(timedelta(minutes=1))
    await gql.data(
        UPDATE_PATIENT, {"id": pid, "input": {"reminderChannels": ["PUSH"]}}, token=doctor.token
    )
    async with resources.sessions() as s:
        rows = [
            (c.channel, c.granted, c.by_user_id, c.source)
            for c in await s.scalars(
                select(ChannelConsent).order_by(col(ChannelConsent.at), col(ChannelConsent.channel))
            )
        ]
    assert rows == [
        ("PUSH", True, doctor.id, "app"),
        ("SMS", True, doctor.id, "app"),
        ("SMS", False, doctor.id, "app"),
    ]
