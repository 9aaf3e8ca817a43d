"""Reading one patient's audit trail, newest first, in keyset pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.audit.models import AuditEntry


@dataclass
class EntryPage:
    entries: list[AuditEntry]
    has_next: bool


async def page_entries(
    session: AsyncSession, patient_id: uuid.UUID, *, first: int, before_seq: int | None
) -> EntryPage:
    # The sequence, not `at`, orders the trail: it is the commit order, and
    # replicas' clocks may disagree by a little.
    query = select(AuditEntry).where(col(AuditEntry.patient_id) == patient_id)
    if before_seq is not None:
        query = query.where(col(AuditEntry.seq) < before_seq)
    rows = list(await session.scalars(query.order_by(col(AuditEntry.seq).desc()).limit(first + 1)))
    return EntryPage(entries=rows[:first], has_next=len(rows) > first)
