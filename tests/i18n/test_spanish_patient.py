"""A Spanish-speaking patient reads Spanish: the reminder SMS through
twilio-python against the Twilio stand-in at 08:00 in Mexico City, the
follow-up after a snooze, the caregiver alert's words, and the account
e-mails (password reset, two-step sign-in) through sendgrid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import update
from sqlmodel import col
from starlette.applications import Starlette

from prescripcare.app import resources_of
from prescripcare.auth.models import Role
from prescripcare.clock import SettableClock
from prescripcare.db import transaction
from prescripcare.i18n.translator import speak
from prescripcare.notifications.twilio import TwilioSmsChannel
from prescripcare.patients.models import Patient
from prescripcare.reminders.models import ReminderKind
from prescripcare.reminders.service import RetryPolicy, queue_due, send_ready
from prescripcare.reminders.texts import reminder_text
from prescripcare.resources import Resources
from tests.auth.limited import client_from
from tests.auth.two_factor import CONFIRM, ENROLL
from tests.conftest import GraphQLClient
from tests.factories import Account, account, patient
from tests.prescriptions.documents import PRESCRIBE, SNOOZE, prescription
from tests.providers import SendGridStandIn, TwilioStandIn

ZONE = "America/Mexico_City"
# The first dose: 08:00 on 14 January in Mexico City (UTC-6) is 14:00 UTC.
DUE = datetime(2026, 1, 14, 14, tzinfo=UTC)
LINK = "https://app.prescripcare.example/doses"


async def send(resources: Resources, sms: TwilioSmsChannel, now: datetime) -> int:
    async with transaction(resources.sessions) as session:
        await queue_due(session, now, timedelta(minutes=60), ["SMS"])
    report = await send_ready(resources.sessions, {"SMS": sms}, now, RetryPolicy(), LINK)
    return report.sent


@pytest.fixture
async def spanish_dose(gql: GraphQLClient, resources: Resources, doctor: Account) -> str:
    pid = await patient(resources, doctor, "Lucía Hernández", timezone=ZONE)
    async with transaction(resources.sessions) as session:
        await session.execute(
            update(Patient)
            .where(col(Patient.id) == pid)
            .values(
                phone="+525512345678",
                phone_blind_index="+525512345678",
                reminder_channels=["SMS"],
                language="es",
            )
        )
    out = await gql.data(
        PRESCRIBE, prescription(str(pid), "6809", startDate="2026-01-14"), token=doctor.token
    )
    dose: str = out["prescribe"]["prescription"]["nextDose"]["id"]
    return dose


async def test_the_reminder_arrives_in_spanish_at_eight_in_mexico_city(
    gql: GraphQLClient,
    resources: Resources,
    clock: SettableClock,
    doctor: Account,
    twilio: TwilioStandIn,
    spanish_dose: str,
) -> None:
    sms = TwilioSmsChannel(twilio.account_sid, twilio.auth_token, "+15005550006", twilio.server.url)
    assert await send(resources, sms, DUE - timedelta(minutes=1)) == 0  # 07:59 there
    assert await send(resources, sms, DUE) == 1
    [message] = twilio.messages
    assert message["To"] == "+525512345678"
    assert message["Body"] == (
        "PrescripCare: es hora de tomar sus medicamentos (8:00 a.m.). "
        "Abra https://app.prescripcare.example/doses"
    )
    # Snoozed for half an hour: the follow-up names the dose's own time.
    clock.set(DUE + timedelta(minutes=1))
    snoozed = await gql.data(
        SNOOZE, {"doseId": spanish_dose, "minutes": 30}, token=doctor.now_token
    )
    assert snoozed["snoozeReminder"]["errors"] == []
    assert await send(resources, sms, DUE + timedelta(minutes=31)) == 1
    assert twilio.messages[1]["Body"] == (
        "PrescripCare: recuerde, sus medicamentos de las 8:00 a.m. siguen pendientes. "
        "Abra https://app.prescripcare.example/doses"
    )


def test_the_caregiver_alert_and_refill_reminder_in_spanish() -> None:
    es = speak("es", ZONE)
    alert = reminder_text(ReminderKind.CAREGIVER.value, DUE, DUE, ZONE, es, LINK)
    assert alert.subject == "No se registró una dosis"
    assert alert.body == (
        "PrescripCare: no se registró una dosis prevista el 14 ene 2026 a las 8:00 a.m. de una "
        "persona a su cuidado. Abra https://app.prescripcare.example/doses"
    )
    refill = reminder_text(ReminderKind.REFILL.value, DUE, None, ZONE, es, LINK)
    assert refill.body.startswith("PrescripCare: es hora de reponer uno de sus medicamentos.")
    # The drug's name only where the deployment allows it, in Spanish too.
    named = reminder_text(ReminderKind.MEDICATION.value, DUE, DUE, ZONE, es, LINK, "metformina")
    assert "(8:00 a.m.)" in named.body and "metformina" in named.body


async def test_account_mail_to_a_spanish_patient_is_spanish(
    mailing_app: Starlette, clock: SettableClock, sendgrid: SendGridStandIn
) -> None:
    resources = resources_of(mailing_app)
    me = await account(resources, Role.PATIENT, timezone="Europe/Madrid")
    async with transaction(resources.sessions) as session:
        await session.execute(
            update(Patient).where(col(Patient.id) == me.patient_id).values(language="es")
        )
    async with client_from(mailing_app, "192.0.2.20") as http:
        gql = GraphQLClient(http)
        asked = await gql.data(
            "mutation($e: String!) { requestPasswordReset(email: $e) { ok } }", {"e": me.email}
        )
        assert asked["requestPasswordReset"]["ok"]
        secret = (await gql.data(ENROLL, token=me.token))["enrollTwoFactor"]["secret"]
        code = pyotp.TOTP(secret).at(clock.now())
        confirmed = (await gql.data(CONFIRM, {"code": code}, token=me.token))["confirmTwoFactor"]
        assert confirmed["errors"] == []
    await resources.auth.resets.mail.drain()
    reset, notice = sorted(sendgrid.mails, key=lambda m: m["subject"])[::-1]
    assert reset["subject"] == "Restablezca su contraseña de PrescripCare"
    body = reset["content"][0]["value"]
    assert "abra este enlace en el plazo de 30 minutos:" in body
    assert (
        notice["subject"]
        == "La verificación en dos pasos está activada en su cuenta de PrescripCare"
    )
    text = notice["content"][0]["value"]
    assert f"Guarde sus {len(confirmed['recoveryCodes'])} códigos de recuperación" in text
    assert "13 ene 2026, 15:00:00 UTC" in text
    assert text.endswith("Si no fue usted, avise a su clínica de inmediato.")


async def test_account_mail_without_a_patient_record_uses_the_default_language(
    mailing_app: Starlette, clock: SettableClock, sendgrid: SendGridStandIn
) -> None:
    resources = resources_of(mailing_app)
    carer = await account(resources, Role.CAREGIVER)
    async with client_from(mailing_app, "192.0.2.21") as http:
        gql = GraphQLClient(http)
        secret = (await gql.data(ENROLL, token=carer.token))["enrollTwoFactor"]["secret"]
        code = pyotp.TOTP(secret).at(clock.now())
        await gql.data(CONFIRM, {"code": code}, token=carer.token)
    await resources.auth.resets.mail.drain()
    [notice] = sendgrid.mails
    assert notice["subject"] == "Two-step sign-in is on for your PrescripCare account"
