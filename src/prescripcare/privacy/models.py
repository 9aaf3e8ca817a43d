"""The erasure ledger: which patients were erased, identifiers only.

A backup taken before an erasure still holds the erased patient; restore
re-applies every entry of this ledger so that patient never comes back.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import utc_column


class ErasureLedgerEntry(SQLModel, table=True):
    __tablename__ = "erasure_ledger"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    # No foreign keys: the rows these name are gone by design.
    patient_id: uuid.UUID = Field(sa_column=Column(UUID, nullable=False, unique=True))
    user_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID, nullable=True))
    erased_by: uuid.UUID | None = Field(default=None, sa_column=Column(UUID, nullable=True))
    erased_at: datetime = Field(sa_column=utc_column())
    # Rows removed per table: counts, never values.
    removed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
