"""Consent to each reminder channel: who granted or withdrew it, when, how."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from prescripcare.db import utc_column


class ChannelConsent(SQLModel, table=True):
    """Append-only: the latest row per patient and channel is in force."""

    __tablename__ = "channel_consents"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    patient_id: uuid.UUID = Field(
        sa_column=Column(
            UUID, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    channel: str = Field(sa_column=Column(String(8), nullable=False))
    granted: bool = Field(sa_column=Column(Boolean, nullable=False))
    # Null when the patient withdrew by replying STOP to an SMS.
    by_user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    source: str = Field(sa_column=Column(String(16), nullable=False))  # app | sms-stop
    at: datetime = Field(sa_column=utc_column())


def record_changes(
    session: AsyncSession,
    patient_id: uuid.UUID,
    before: Iterable[str],
    after: Iterable[str],
    by_user_id: uuid.UUID | None,
    source: str,
    now: datetime,
) -> None:
    old, new = set(before), set(after)
    for channel in sorted(new - old):
        session.add(
            ChannelConsent(
                patient_id=patient_id,
                channel=channel,
                granted=True,
                by_user_id=by_user_id,
                source=source,
                at=now,
            )
        )
    for channel in sorted(old - new):
        session.add(
            ChannelConsent(
                patient_id=patient_id,
                channel=channel,
                granted=False,
                by_user_id=by_user_id,
                source=source,
                at=now,
            )
        )


class DeviceToken(SQLModel, table=True):
    """A push token an app registered for a patient's phone."""

    __tablename__ = "device_tokens"

    token: str = Field(sa_column=Column(String(4096), primary_key=True))
    patient_id: uuid.UUID = Field(
        sa_column=Column(
            UUID, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    platform: str = Field(sa_column=Column(String(16), nullable=False))
    registered_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(sa_column=utc_column())
