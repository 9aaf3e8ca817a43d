"""Backup history: one row per backup that finished and reached its store.

The backup-age metric (`prescripcare_backup_last_success_timestamp_seconds`)
and its alert read it, so a CronJob that stops running, or fails, is seen
by the processes Prometheus already scrapes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, String, Text
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from prescripcare.db import utc_column


class BackupRun(SQLModel, table=True):
    __tablename__ = "backup_runs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_column=Column(UUID, primary_key=True))
    # "dump": `prescripcare backup`; other kinds may be recorded by other tools.
    # taken_at: when its snapshot began, which is how old its data is.
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    taken_at: datetime = Field(sa_column=utc_column(index=True))
    # Where it went (a path or s3://bucket/key) and its size in bytes.
    location: str = Field(sa_column=Column(Text, nullable=False))
    size_bytes: int = Field(sa_column=Column(BigInteger, nullable=False))
