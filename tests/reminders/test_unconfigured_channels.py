"""A channel a patient chose with no provider behind it (a production
deployment without, say, Twilio's credentials) never swallows reminders in
silence: the worker still queues them, each fails at its send with the
reason, and the failure is counted where the reminder-failure alert looks."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from prescripcare.clock import SettableClock
from prescripcare.notifications.enabled import enabled_channels
from prescripcare.reminders.devices import DeviceDirectory
from prescripcare.reminders.models import Reminder
from prescripcare.resources import Resources
from prescripcare.settings import SettingsError
from prescripcare.worker import send_due_reminders
from tests.ops.scrape import delta, scrape
from tests.reminders.outbox import DUE, FAILED_SMS, Flaky


@pytest.mark.usefixtures("dose")
async def test_a_chosen_channel_without_a_provider_fails_counted(
    client: httpx.AsyncClient, resources: Resources, clock: SettableClock
) -> None:
    clock.set(DUE)
    email = Flaky(0)
    before = await scrape(client)
    # What `enabled_channels` builds in production with SendGrid configured
    # and Twilio not; the patient chose SMS and e-mail.
    await send_due_reminders({"resources": resources, "channels": {"EMAIL": email}})
    async with resources.sessions() as s:
        rows = {r.channel: r for r in await s.scalars(select(Reminder))}
    assert (rows["SMS"].status, rows["SMS"].last_error) == ("FAILED", "no SMS provider configured")
    assert rows["EMAIL"].status == "SENT" and len(email.sent) == 1
    assert delta(before, await scrape(client), FAILED_SMS) == 1


def test_push_asked_for_without_its_key_file_stops_the_worker(
    resources: Resources, tmp_path: Path
) -> None:
    settings = resources.settings.model_copy(
        update={
            "fcm_project_id": "prescripcare-test",
            "fcm_service_account_file": str(tmp_path / "missing.json"),
        }
    )
    with pytest.raises(SettingsError, match="FCM_SERVICE_ACCOUNT_FILE"):
        enabled_channels(settings, DeviceDirectory(resources.sessions))
