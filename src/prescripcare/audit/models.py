"""Audit tables: the append-only log, its chain head, break-glass grants.

The log holds identifiers and action names only, never personal data, so
erasing a patient never has to touch it (and it keeps no foreign keys, so
erasure cannot cascade into it). Sequence numbers and hashes are assigned by
a PostgreSQL trigger (migration 0010), not by the application.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, LargeBinary, String
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import utc_column

GENESIS_HASH = bytes(32)


class AuditAction(StrEnum):
    PATIENT_READ = "PATIENT_READ"
    PATIENT_SUBSCRIBED = "PATIENT_SUBSCRIBED"
    AUDIT_LOG_READ = "AUDIT_LOG_READ"
    USER_REGISTERED = "USER_REGISTERED"
    USER_CREATED = "USER_CREATED"
    PATIENT_CREATED = "PATIENT_CREATED"
    PATIENT_UPDATED = "PATIENT_UPDATED"
    CAREGIVER_LINKED = "CAREGIVER_LINKED"
    CAREGIVER_UNLINKED = "CAREGIVER_UNLINKED"
    CARE_TEAM_MEMBER_ADDED = "CARE_TEAM_MEMBER_ADDED"
    CARE_TEAM_MEMBER_REMOVED = "CARE_TEAM_MEMBER_REMOVED"
    PRESCRIPTION_CREATED = "PRESCRIPTION_CREATED"
    PRESCRIPTION_UPDATED = "PRESCRIPTION_UPDATED"
    PRESCRIPTION_DISCONTINUED = "PRESCRIPTION_DISCONTINUED"
    FILL_RECORDED = "FILL_RECORDED"
    DOSE_RECORDED = "DOSE_RECORDED"
    DOSE_SNOOZED = "DOSE_SNOOZED"
    DEVICE_REGISTERED = "DEVICE_REGISTERED"
    DEVICE_REMOVED = "DEVICE_REMOVED"
    BREAK_GLASS_OPENED = "BREAK_GLASS_OPENED"
    # For the export and erasure work: recorded by those services.
    PATIENT_EXPORTED = "PATIENT_EXPORTED"
    PATIENT_ERASED = "PATIENT_ERASED"
    # The adherence report: downloaded (a read), and e-mailed by the patient.
    PATIENT_REPORT_READ = "PATIENT_REPORT_READ"
    PATIENT_REPORT_SENT = "PATIENT_REPORT_SENT"


# What an entry records, in the order the batched read INSERT selects them;
# `seq`, `prev_hash` and `hash` are the chain's, set by the trigger.
RECORDED_FIELDS = (
    "at",
    "actor_id",
    "actor_role",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "request_id",
    "ip",
    "break_glass_grant_id",
)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_patient_id_seq", "patient_id", "seq"),)

    # Gap-free and in commit order: assigned under the chain head's row lock.
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    at: datetime = Field(sa_column=utc_column())
    actor_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID, nullable=True))
    actor_role: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    action: str = Field(sa_column=Column(String(64), nullable=False))
    entity: str = Field(sa_column=Column(String(64), nullable=False))
    entity_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    patient_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID, nullable=True))
    request_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    ip: str | None = Field(default=None, sa_column=Column(String(45), nullable=True))
    # Set when the access was possible only through a break-glass grant.
    break_glass_grant_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID, nullable=True)
    )
    prev_hash: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=False))
    hash: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=False))


class AuditChainHead(SQLModel, table=True):
    """One row: the last entry's sequence number and hash. Locking it orders
    appends; comparing it with the log's last row detects a cut-off tail."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class BreakGlassGrant(SQLModel, table=True):
    """A clinician's time-limited access to a patient outside their care team.
    The reason is free text (it may name the patient's condition), so it lives
    here, erased with the patient, and the log refers to the grant by id."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (
        Index("ix_break_glass_grants_clinician_id_expires_at", "clinician_id", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    patient_id: uuid.UUID = Field(
        sa_column=Column(
            UUID, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    clinician_id: uuid.UUID = Field(
        sa_column=Column(UUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    reason: str = Field(sa_column=Column(String(1000), nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
