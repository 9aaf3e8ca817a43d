"""GraphQL types of reminders."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from prescripcare.graphql.enums import ReminderChannelEnum
from prescripcare.patients.models import ReminderChannel
from prescripcare.reminders.models import Reminder, ReminderState


@strawberry.enum(
    name="ReminderState",
    description="QUEUED: decided, not yet accepted by the provider. SENT: accepted by the "
    "provider. DELIVERED: provider confirmed delivery. FAILED: given up after retries.",
)
class ReminderStateEnum(Enum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type(name="Reminder")
class ReminderType:
    channel: ReminderChannelEnum  # type: ignore[valid-type]
    status: ReminderStateEnum
    due_at: datetime = strawberry.field(description="The instant this reminder was for.")
    sent_at: datetime | None
    attempts: int

    @classmethod
    def from_model(cls, reminder: Reminder) -> ReminderType:
        # A send in progress is still QUEUED for the client.
        state = reminder.status if reminder.status != ReminderState.SENDING else "QUEUED"
        return cls(
            channel=ReminderChannel(reminder.channel),
            status=ReminderStateEnum(state),
            due_at=reminder.due_at,
            sent_at=reminder.sent_at,
            attempts=reminder.attempts,
        )
