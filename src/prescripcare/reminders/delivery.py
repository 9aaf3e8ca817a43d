"""Delivery receipts: the provider's later word on a message it accepted.

Twilio's status callback (reminders/webhooks.py) and the demo clinic's
replayed past (demo/replay.py) both record receipts here, so a receipt means
the same wherever it comes from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.reminders.models import Reminder, ReminderState

# Twilio's MessageStatus values that settle a message; the others
# (queued, sending, sent) say nothing we do not know already.
RECEIPTS = {
    "delivered": ReminderState.DELIVERED,
    "undelivered": ReminderState.FAILED,
    "failed": ReminderState.FAILED,
}


@dataclass(frozen=True)
class Changed:
    kind: str
    channel: str
    patient_id: uuid.UUID
    dose_id: uuid.UUID | None


@dataclass(frozen=True)
class Receipt:
    state: ReminderState | None  # None: a status that settles nothing
    changed: list[Changed]


async def record_receipt(
    session: AsyncSession,
    provider_message_id: str,
    provider_status: str,
    error_code: str | None,
    now: datetime,
) -> Receipt:
    """Applies a receipt to the reminder the provider knows by this id;
    answers the reminders it changed. A receipt never reopens a reminder that
    was not sent, and a late "delivered" never overrides a failure."""
    state = RECEIPTS.get(provider_status)
    if state is None or not provider_message_id:
        return Receipt(None, [])
    rows = (
        await session.execute(
            update(Reminder)
            .where(
                col(Reminder.provider_message_id) == provider_message_id,
                col(Reminder.status).in_([ReminderState.SENT.value, ReminderState.DELIVERED.value]),
            )
            .values(status=state.value, updated_at=now, last_error=error_code or None)
            .returning(
                col(Reminder.kind),
                col(Reminder.channel),
                col(Reminder.patient_id),
                col(Reminder.dose_id),
            )
        )
    ).all()
    return Receipt(state, [Changed(*row) for row in rows])
