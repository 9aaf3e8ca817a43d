"""Missed-dose marking: a dose nobody recorded within the grace period after
it fell due (or after its snooze ended) becomes MISSED. The worker runs it
every minute (worker.mark_missed_doses); caregivers are alerted from what it
answers, and the adherence rollup's trigger counts the change."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.doses.models import Dose, DoseStatus


async def mark_missed(
    session: AsyncSession, now: datetime, grace: timedelta
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Doses not recorded within the grace period after max(scheduled time,
    snooze end) become MISSED; answers their (dose id, patient id)."""
    result = await session.execute(
        update(Dose)
        .where(
            col(Dose.status) == DoseStatus.SCHEDULED.value,
            col(Dose.scheduled_at) < now - grace,
            (col(Dose.snoozed_until).is_(None)) | (col(Dose.snoozed_until) < now - grace),
        )
        .values(status=DoseStatus.MISSED.value)
        .returning(col(Dose.id), col(Dose.patient_id))
    )
    return [(row[0], row[1]) for row in result]
