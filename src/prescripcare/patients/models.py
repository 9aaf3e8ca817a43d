"""Patient tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Time,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import quoted, utc_column
from prescripcare.encryption.columns import (
    BlindIndex,
    EncryptedDate,
    EncryptedText,
    index_blindly,
)


class ReminderChannel(StrEnum):
    SMS = "SMS"
    EMAIL = "EMAIL"
    PUSH = "PUSH"


class Patient(SQLModel, table=True):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint(
            "(quiet_start IS NULL) = (quiet_end IS NULL)", name="quiet_hours_both_or_neither"
        ),
        CheckConstraint(
            f"reminder_channels <@ ARRAY[{quoted(ReminderChannel)}]::varchar[]",
            name="reminder_channels_known",
        ),
        # `patients` pages by (name, id); this index serves both the order and
        # the keyset predicate.
        Index("ix_patients_name_id", "name", "id"),
        # The SMS STOP webhook finds patients by the sender's number.
        Index("ix_patients_phone_blind_index", "phone_blind_index"),
        Index(
            "ix_patients_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    # The patient's own login, when they have one (self-registered patients).
    user_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(
            UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True, unique=True
        ),
    )
    name: str = Field(sa_column=Column(String(200), nullable=False))
    # Direct identifiers are encrypted; the name is not, so it stays
    # searchable and sortable (docs/encryption.md).
    date_of_birth: date | None = Field(
        default=None, sa_column=Column(EncryptedDate("patients.date_of_birth"), nullable=True)
    )
    timezone: str = Field(sa_column=Column(String(64), nullable=False))
    phone: str | None = Field(
        default=None, sa_column=Column(EncryptedText("patients.phone"), nullable=True)
    )
    # Written from `phone` on every flush (the SMS STOP lookup).
    phone_blind_index: str | bytes | None = Field(
        default=None, sa_column=Column(BlindIndex("patients.phone"), nullable=True)
    )
    email: str | None = Field(
        default=None, sa_column=Column(EncryptedText("patients.email"), nullable=True)
    )
    reminder_channels: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(8)), nullable=False, server_default=text("'{}'")),
    )
    # BCP 47 (i18n/languages.py); null follows the deployment's DEFAULT_LANGUAGE.
    language: str | None = Field(default=None, sa_column=Column(String(35), nullable=True))
    quiet_start: time | None = Field(default=None, sa_column=Column(Time, nullable=True))
    quiet_end: time | None = Field(default=None, sa_column=Column(Time, nullable=True))
    created_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


index_blindly(Patient, "phone", "phone_blind_index")


class CaregiverLink(SQLModel, table=True):
    __tablename__ = "caregiver_links"

    patient_id: uuid.UUID = Field(
        sa_column=Column(UUID, ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    )
    caregiver_id: uuid.UUID = Field(
        sa_column=Column(
            UUID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(sa_column=utc_column())


class CareTeamMember(SQLModel, table=True):
    __tablename__ = "care_team_members"

    patient_id: uuid.UUID = Field(
        sa_column=Column(UUID, ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: uuid.UUID = Field(
        sa_column=Column(
            UUID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    added_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(sa_column=utc_column())
