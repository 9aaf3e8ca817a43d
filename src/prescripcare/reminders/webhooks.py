"""Twilio's callbacks: delivery status of our messages and inbound replies
(STOP withdraws SMS consent). Every request's signature is checked against
PUBLIC_BASE_URL and the auth token; anything else is refused. A message
Twilio reports `failed` or `undelivered` is a failed reminder: counted for
the alert and published to the patient's reminder events, like a failure at
send time."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlmodel import col
from starlette.requests import Request
from starlette.responses import Response
from twilio.request_validator import RequestValidator

from prescripcare.db import transaction
from prescripcare.patients.models import Patient, ReminderChannel
from prescripcare.realtime.events import Event, EventKind, publish
from prescripcare.reminders.consent import record_changes
from prescripcare.reminders.delivery import record_receipt
from prescripcare.reminders.models import ReminderState
from prescripcare.reminders.service import count_undelivered
from prescripcare.resources import Resources

log = logging.getLogger("prescripcare.webhooks")
STATUS_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/inbound"
# Twilio's standard opt-out keywords.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _verified_form(request: Request, path: str) -> dict[str, str] | None:
    resources: Resources = request.app.state.resources
    settings = resources.settings
    if not (settings.public_base_url and settings.twilio_auth_token):
        return None
    form = {k: str(v) for k, v in (await request.form()).items()}
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    url = f"{settings.public_base_url.rstrip('/')}{path}"
    if not validator.validate(url, form, request.headers.get("x-twilio-signature", "")):
        return None
    return form


async def twilio_status(request: Request) -> Response:
    form = await _verified_form(request, STATUS_PATH)
    if form is None:
        return Response("forbidden", status_code=403)
    resources: Resources = request.app.state.resources
    now = resources.clock.now()
    async with transaction(resources.sessions) as session:
        receipt = await record_receipt(
            session,
            form.get("MessageSid", ""),
            form.get("MessageStatus", ""),
            form.get("ErrorCode"),
            now,
        )
    if receipt.state is ReminderState.FAILED:
        # Counted once: Twilio repeats a callback it got no answer to, and the
        # row is FAILED by then, so the receipt changes nothing.
        for changed in receipt.changed:
            count_undelivered(changed.channel, changed.kind)
        await publish(
            resources.redis,
            resources.keys,
            [
                Event(
                    patient_id=changed.patient_id,
                    kind=EventKind.REMINDER_FAILED,
                    at=now,
                    channel=changed.channel,
                    dose_id=changed.dose_id,
                )
                for changed in receipt.changed
            ],
        )
    return Response(status_code=204)


async def twilio_inbound(request: Request) -> Response:
    form = await _verified_form(request, INBOUND_PATH)
    if form is None:
        return Response("forbidden", status_code=403)
    resources: Resources = request.app.state.resources
    if form.get("Body", "").strip().upper() in STOP_WORDS and form.get("From"):
        now = resources.clock.now()
        async with transaction(resources.sessions) as session:
            patients = list(
                await session.scalars(
                    select(Patient)
                    .where(col(Patient.phone_blind_index) == form["From"])
                    .with_for_update()
                )
            )
            for patient in patients:
                before = list(patient.reminder_channels)
                patient.reminder_channels = [c for c in before if c != ReminderChannel.SMS]
                patient.updated_at = now
                record_changes(
                    session, patient.id, before, patient.reminder_channels, None, "sms-stop", now
                )
        log.info("SMS consent withdrawn by STOP for %d patient(s)", len(patients))
    return Response(EMPTY_TWIML, media_type="application/xml")
