"""Prescription tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import one_of, utc_column
from prescripcare.encryption.columns import EncryptedText


class PrescriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    DISCONTINUED = "DISCONTINUED"


def _uuid_fk(
    target: str, *, nullable: bool = False, index: bool = False, ondelete: str = "CASCADE"
) -> Column[uuid.UUID]:
    return Column(UUID, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


class Prescription(SQLModel, table=True):
    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint(one_of("status", PrescriptionStatus), name="status_known"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("dose_quantity > 0", name="dose_positive"),
        CheckConstraint("every_hours IS NULL OR every_hours BETWEEN 1 AND 24", name="every_hours"),
        CheckConstraint("every_days IS NULL OR every_days BETWEEN 1 AND 365", name="every_days"),
        Index("ix_prescriptions_patient_status", "patient_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    patient_id: uuid.UUID = Field(sa_column=_uuid_fk("patients.id"))
    rxcui: str = Field(
        sa_column=Column(String(16), ForeignKey("drug_concepts.rxcui"), nullable=False)
    )
    # Null for a medicine the patient reports taking themself.
    prescriber_id: uuid.UUID | None = Field(
        default=None, sa_column=_uuid_fk("users.id", nullable=True, ondelete="SET NULL")
    )
    created_by: uuid.UUID | None = Field(
        default=None, sa_column=_uuid_fk("users.id", nullable=True, ondelete="SET NULL")
    )
    dose_quantity: float = Field(sa_column=Column(Float, nullable=False))
    dose_unit: str = Field(sa_column=Column(String(50), nullable=False))
    # Free text written about the patient's care is encrypted (docs/encryption.md).
    sig: str | None = Field(
        default=None, sa_column=Column(EncryptedText("prescriptions.sig"), nullable=True)
    )
    start_date: date = Field(sa_column=Column(Date, nullable=False))
    end_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    quantity: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    days_supply: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    refills: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    refills_remaining: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # The schedule, modelled on FHIR Timing; times are local wall-clock times.
    times_of_day: list[time] = Field(
        default_factory=list, sa_column=Column(ARRAY(Time), nullable=False)
    )
    # ISO weekday numbers, Monday = 1; empty means every day.
    days_of_week: list[int] = Field(
        default_factory=list, sa_column=Column(ARRAY(SmallInteger), nullable=False)
    )
    every_hours: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    every_days: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    as_needed: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    status_reason: str | None = Field(
        default=None, sa_column=Column(EncryptedText("prescriptions.status_reason"), nullable=True)
    )
    status_changed_by: uuid.UUID | None = Field(
        default=None, sa_column=_uuid_fk("users.id", nullable=True, ondelete="SET NULL")
    )
    status_changed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class InteractionOverride(SQLModel, table=True):
    """A prescriber's decision to go ahead despite a MAJOR or CONTRAINDICATED
    interaction: who, when, why, and what they were shown."""

    __tablename__ = "interaction_overrides"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    prescription_id: uuid.UUID = Field(sa_column=_uuid_fk("prescriptions.id", index=True))
    severity: str = Field(sa_column=Column(String(20), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    ingredient_rxcuis: list[str] = Field(sa_column=Column(ARRAY(String(16)), nullable=False))
    acknowledged_by: uuid.UUID | None = Field(
        default=None, sa_column=_uuid_fk("users.id", nullable=True, ondelete="SET NULL")
    )
    reason: str | None = Field(
        default=None, sa_column=Column(EncryptedText("interaction_overrides.reason"), nullable=True)
    )
    created_at: datetime = Field(sa_column=utc_column())


class Fill(SQLModel, table=True):
    __tablename__ = "fills"
    __table_args__ = (
        CheckConstraint("days_supply BETWEEN 1 AND 365", name="days_supply"),
        Index("ix_fills_prescription_filled_on", "prescription_id", "filled_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    prescription_id: uuid.UUID = Field(sa_column=_uuid_fk("prescriptions.id"))
    filled_on: date = Field(sa_column=Column(Date, nullable=False))
    days_supply: int = Field(sa_column=Column(Integer, nullable=False))
    quantity: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    recorded_by: uuid.UUID | None = Field(
        default=None, sa_column=_uuid_fk("users.id", nullable=True, ondelete="SET NULL")
    )
    created_at: datetime = Field(sa_column=utc_column())
