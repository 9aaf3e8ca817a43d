"""Dose tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import one_of, utc_column


class DoseStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    TAKEN = "TAKEN"
    SKIPPED = "SKIPPED"
    MISSED = "MISSED"


def dose_reference(table: str) -> ForeignKeyConstraint:
    """A row's reference to its dose: doses are partitioned by month of
    `scheduled_at`, so their key, and every reference to it, carries the
    dose's instant (`dose_scheduled_at`) beside its id."""
    return ForeignKeyConstraint(
        ["dose_id", "dose_scheduled_at"],
        ["doses.id", "doses.scheduled_at"],
        name=f"fk_{table}_dose_id_doses",
        ondelete="CASCADE",
        onupdate="CASCADE",
    )


class Dose(SQLModel, table=True):
    """One concrete dose at a UTC instant. Scheduled, actual (taken_at) and
    recorded (recorded_at) times are kept apart."""

    __tablename__ = "doses"
    __table_args__ = (
        # Partitioned by month of `scheduled_at` (migration 0019,
        # doses/partitions.py): every key carries the partition key, so a
        # dose is (id, scheduled_at) and its references carry both.
        PrimaryKeyConstraint("id", "scheduled_at", name="pk_doses"),
        # One dose per prescription and instant: materializing twice, even at
        # the same moment in two workers, cannot duplicate a dose.
        UniqueConstraint("prescription_id", "scheduled_at", name="uq_doses_prescription_time"),
        CheckConstraint(one_of("status", DoseStatus), name="status_known"),
        Index("ix_doses_patient_scheduled_at", "patient_id", "scheduled_at"),
        Index("ix_doses_due", "scheduled_at", postgresql_where=text("status = 'SCHEDULED'")),
        # Next doses: the first SCHEDULED one per patient or prescription.
        Index(
            "ix_doses_patient_next",
            "patient_id",
            "scheduled_at",
            postgresql_where=text("status = 'SCHEDULED'"),
        ),
        Index(
            "ix_doses_prescription_next",
            "prescription_id",
            "scheduled_at",
            postgresql_where=text("status = 'SCHEDULED'"),
        ),
        {"postgresql_partition_by": "RANGE (scheduled_at)"},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, nullable=False))
    prescription_id: uuid.UUID = Field(
        sa_column=Column(UUID, ForeignKey("prescriptions.id", ondelete="CASCADE"), nullable=False)
    )
    # The patient's id is kept on the dose so a patient's doses in a window
    # are one index range, without a join.
    patient_id: uuid.UUID = Field(
        sa_column=Column(UUID, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)
    )
    scheduled_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: str = Field(
        default=DoseStatus.SCHEDULED.value, sa_column=Column(String(16), nullable=False)
    )
    taken_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    recorded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    recorded_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    snoozed_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())


class DoseRecord(SQLModel, table=True):
    """Every recording of a dose, so a corrected record keeps its history."""

    __tablename__ = "dose_records"
    __table_args__ = (dose_reference("dose_records"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    dose_id: uuid.UUID = Field(sa_column=Column(UUID, nullable=False, index=True))
    # The dose's partition key, so the reference is a key of `doses`.
    dose_scheduled_at: datetime = Field(sa_column=utc_column())
    status: str = Field(sa_column=Column(String(16), nullable=False))
    taken_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    recorded_at: datetime = Field(sa_column=utc_column())
    recorded_by: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
