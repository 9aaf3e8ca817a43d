"""The dose-day rollup: a prescription's dose counts per local date of its
patient, kept by PostgreSQL triggers in the same transaction as every dose
change (see migrations/versions/0016_dose_days.py and docs/adherence.md)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel

# A taken dose's lateness is kept in whole minutes, rounded up, so any whole
# ON_TIME_MINUTES threshold reads the same answer as the exact comparison:
# |late| <= M * 60 s  <=>  ceil(|late| / 60 s) <= M. Lateness beyond a day,
# or a taken dose without a time, is stored as this cap: late under any
# setting (ON_TIME_MINUTES is at most 720).
LATENESS_CAP_MINUTES = 1441


class DoseDay(SQLModel, table=True):
    """Counts of one prescription's doses dated (in the patient's zone) on
    one local date. Rows are written only by the triggers on `doses` and
    `patients`; a row whose doses were all deleted stays with zero counts
    (deleting it could race a concurrent insert into the same day)."""

    __tablename__ = "dose_days"
    __table_args__ = (
        CheckConstraint(
            "taken >= 0 AND missed >= 0 AND skipped >= 0 AND taken + missed + skipped <= doses",
            name="counts_add_up",
        ),
        CheckConstraint("cardinality(taken_minutes) = taken", name="lateness_per_taken"),
        Index("ix_dose_days_patient_day", "patient_id", "day"),
    )

    prescription_id: uuid.UUID = Field(
        sa_column=Column(UUID, ForeignKey("prescriptions.id", ondelete="CASCADE"), primary_key=True)
    )
    day: date = Field(sa_column=Column(Date, primary_key=True))
    patient_id: uuid.UUID = Field(
        sa_column=Column(UUID, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False)
    )
    # Every dose of the day, whatever its status (due or not yet).
    doses: int = Field(sa_column=Column(Integer, nullable=False))
    taken: int = Field(sa_column=Column(Integer, nullable=False))
    missed: int = Field(sa_column=Column(Integer, nullable=False))
    skipped: int = Field(sa_column=Column(Integer, nullable=False))
    # One entry per taken dose, its lateness in minutes (LATENESS_CAP_MINUTES),
    # sorted: width_bucket(M, taken_minutes) counts those on time under M.
    taken_minutes: list[int] = Field(
        sa_column=Column(ARRAY(Integer), nullable=False, server_default=text("'{}'::integer[]"))
    )
