"""Driving the reminder outbox in tests: the first due dose, queueing and
sending at a given instant, a channel that fails on demand, and the failed-SMS
counter's series."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from prescripcare.db import transaction
from prescripcare.notifications.message import Channel, Message, TransientSendError
from prescripcare.reminders.service import RetryPolicy, queue_due, send_ready
from prescripcare.resources import Resources

DUE = datetime(2026, 1, 14, 8, tzinfo=UTC)  # the first 08:00 London dose
GRACE = timedelta(minutes=60)
CHANNELS = ["SMS", "EMAIL", "PUSH"]
POLICY = RetryPolicy(max_attempts=3)

FAILED_SMS = (
    'prescripcare_notifications_total{channel="SMS",status="failed",type="medication_reminder"}'
)


async def queue(resources: Resources, now: datetime) -> int:
    async with transaction(resources.sessions) as session:
        return await queue_due(session, now, GRACE, CHANNELS)


class Flaky:
    """A channel that fails transiently `failures` times, then accepts."""

    name = "SMS"

    def __init__(self, failures: int, error: type[Exception] = TransientSendError) -> None:
        self.failures = failures
        self.error = error
        self.sent: list[Message] = []

    async def send(self, message: Message) -> str:
        if self.failures:
            self.failures -= 1
            raise self.error("provider says no")
        self.sent.append(message)
        return f"SM{len(self.sent)}"


async def send(resources: Resources, channels: Mapping[str, Channel], now: datetime) -> Any:
    return await send_ready(resources.sessions, channels, now, POLICY, "https://app.test/d")
