"""The reminder outbox: one row per decision to send, written before any
provider is called."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import one_of, utc_column
from prescripcare.doses.models import dose_reference


class ReminderState(StrEnum):
    QUEUED = "QUEUED"  # decided, not yet accepted by the provider
    SENDING = "SENDING"  # claimed by a worker until `claimed_until`
    SENT = "SENT"  # accepted by the provider
    DELIVERED = "DELIVERED"  # the provider confirmed delivery
    FAILED = "FAILED"  # given up: permanent error or retries exhausted
    CANCELLED = "CANCELLED"  # the dose was recorded before the send


class ReminderKind(StrEnum):
    MEDICATION = "medication_reminder"
    REFILL = "refill_reminder"
    CAREGIVER = "caregiver_alert"


class Reminder(SQLModel, table=True):
    __tablename__ = "reminders"
    __table_args__ = (
        # One send per dose, channel, due instant (the snooze's end is a new
        # due instant) and recipient: two scanners at once cannot queue a
        # reminder twice, nor a caregiver be alerted twice for one dose.
        Index(
            "uq_reminders_dose_channel_due_recipient",
            "dose_id",
            "channel",
            "due_at",
            "recipient",
            unique=True,
        ),
        CheckConstraint(one_of("status", ReminderState), name="status_known"),
        # A dose's reminders carry its partition key (doses are partitioned
        # by month of scheduled_at): both or neither.
        dose_reference("reminders"),
        CheckConstraint(
            "(dose_id IS NULL) = (dose_scheduled_at IS NULL)", name="dose_instant_with_dose"
        ),
        # A refill reminder goes once per fill and channel.
        Index(
            "uq_reminders_fill_channel",
            "fill_id",
            "channel",
            unique=True,
            postgresql_where=text("fill_id IS NOT NULL"),
        ),
        Index(
            "ix_reminders_ready",
            "next_attempt_at",
            postgresql_where=text("status IN ('QUEUED', 'SENDING')"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    dose_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID, nullable=True, index=True)
    )
    dose_scheduled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    fill_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("fills.id", ondelete="CASCADE"), nullable=True),
    )
    patient_id: uuid.UUID = Field(
        sa_column=Column(
            UUID, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    channel: str = Field(sa_column=Column(String(8), nullable=False))
    # "patient", or the id of the caregiver (user) an alert is for.
    recipient: str = Field(
        default="patient",
        sa_column=Column(String(40), nullable=False, server_default=text("'patient'")),
    )
    due_at: datetime = Field(sa_column=utc_column())
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(sa_column=utc_column())
    claimed_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    provider_message_id: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
