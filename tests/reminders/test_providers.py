"""SMS through twilio-python and e-mail through sendgrid, against local
servers answering as the providers do; retries and permanent failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from prescripcare.notifications.enabled import enabled_channels
from prescripcare.notifications.sendgrid import SendGridEmailChannel
from prescripcare.notifications.twilio import TwilioSmsChannel
from prescripcare.reminders.models import Reminder
from prescripcare.resources import Resources
from prescripcare.settings import Settings
from tests.providers import TWILIO_SID, TWILIO_TOKEN, SendGridStandIn, TwilioStandIn
from tests.reminders.outbox import DUE, queue, send


def channels(twilio: TwilioStandIn, sendgrid: SendGridStandIn) -> dict[str, Any]:
    return {
        "SMS": TwilioSmsChannel(
            twilio.account_sid, twilio.auth_token, "+15005550006", twilio.server.url
        ),
        "EMAIL": SendGridEmailChannel(
            sendgrid.api_key, "reminders@prescripcare.example", sendgrid.server.url
        ),
    }


async def rows(resources: Resources) -> dict[str, Reminder]:
    async with resources.sessions() as s:
        return {r.channel: r for r in await s.scalars(select(Reminder))}


@pytest.mark.usefixtures("dose")
async def test_one_send_per_channel_through_the_real_sdks(
    resources: Resources, twilio: TwilioStandIn, sendgrid: SendGridStandIn
) -> None:
    await queue(resources, DUE)
    report = await send(resources, channels(twilio, sendgrid), DUE)
    assert report.sent == 2
    assert [(m["To"], m["From"]) for m in twilio.messages] == [("+442079460123", "+15005550006")]
    assert "08:00" in twilio.messages[0]["Body"]
    assert sendgrid.mails[0]["personalizations"][0]["to"] == [{"email": "rem@example.org"}]
    found = await rows(resources)
    assert (found["SMS"].provider_message_id or "").startswith("SM")
    assert found["EMAIL"].status == "SENT" and found["EMAIL"].provider_message_id


@pytest.mark.usefixtures("dose")
async def test_twilio_failing_twice_then_accepting_gives_one_delivery(
    resources: Resources, twilio: TwilioStandIn, sendgrid: SendGridStandIn
) -> None:
    twilio.plan.answers = [
        (503, {"code": 20500, "message": "Internal"}),
        (429, {"code": 20429, "message": "Too Many Requests"}),
    ]
    await queue(resources, DUE)
    now = DUE
    for _ in range(3):
        await send(resources, channels(twilio, sendgrid), now)
        now += timedelta(minutes=10)
    sms = (await rows(resources))["SMS"]
    assert (sms.status, sms.attempts, len(twilio.messages)) == ("SENT", 3, 1)


@pytest.mark.usefixtures("dose")
@pytest.mark.parametrize("code", [21211, 21610])
async def test_an_invalid_or_opted_out_number_is_not_retried(
    resources: Resources, twilio: TwilioStandIn, sendgrid: SendGridStandIn, code: int
) -> None:
    twilio.plan.answers = [(400, {"code": code, "message": "no"})] * 5
    await queue(resources, DUE)
    for step in range(3):
        await send(resources, channels(twilio, sendgrid), DUE + timedelta(hours=step))
    sms = (await rows(resources))["SMS"]
    assert (sms.status, sms.attempts) == ("FAILED", 1)
    assert str(code) in (sms.last_error or "")


@pytest.mark.usefixtures("dose")
@pytest.mark.parametrize(
    ("status", "final", "attempts"), [(400, "FAILED", 1), (429, "SENT", 2), (500, "SENT", 2)]
)
async def test_sendgrid_4xx_is_permanent_but_429_and_5xx_retry(
    resources: Resources,
    twilio: TwilioStandIn,
    sendgrid: SendGridStandIn,
    status: int,
    final: str,
    attempts: int,
) -> None:
    sendgrid.plan.answers = [(status, {"errors": [{"message": "nope", "field": None}]})]
    await queue(resources, DUE)
    await send(resources, channels(twilio, sendgrid), DUE)
    await send(resources, channels(twilio, sendgrid), DUE + timedelta(minutes=10))
    email = (await rows(resources))["EMAIL"]
    assert (email.status, email.attempts) == (final, attempts)


def test_channels_follow_credentials(migrated: Settings) -> None:
    development = enabled_channels(migrated)
    assert {n: type(c).__name__ for n, c in development.items()} == {
        "SMS": "ConsoleChannel",
        "EMAIL": "ConsoleChannel",
        "PUSH": "ConsoleChannel",
    }
    with_twilio = enabled_channels(
        migrated.model_copy(
            update={
                "twilio_account_sid": TWILIO_SID,
                "twilio_auth_token": SecretStr(TWILIO_TOKEN),
                "twilio_from_number": "+1500",
            }
        )
    )
    assert type(with_twilio["SMS"]).__name__ == "TwilioSmsChannel"
    production = enabled_channels(migrated.model_copy(update={"prescripcare_env": "production"}))
    assert production == {}
