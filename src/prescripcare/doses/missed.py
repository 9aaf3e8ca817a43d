"""Missed-dose marking: a dose nobody recorded within the grace period after
it fell due (or after its snooze ended) becomes MISSED, and so does any dose
still open OPEN_REACH after it was scheduled (doses/window.py). The worker runs
it every minute (worker.mark_missed_doses); caregivers are alerted from what it
answers, and the adherence rollup's trigger counts the change.

`since` bounds the scan to the partitions a run needs: a dose not eligible at
an earlier run at instant L was scheduled after L - OPEN_REACH (one scheduled
before was eligible then whatever its snooze), so a run passing
`since = L - OPEN_REACH` for the last run L that committed finds every dose
that became eligible since. Without `since` it sweeps the whole history
(a worker's first run, catching up after any downtime)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Update, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.doses.window import open_since


async def mark_missed(
    session: AsyncSession, now: datetime, grace: timedelta, since: datetime | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Doses not recorded within the grace period after max(scheduled time,
    snooze end), or open longer than OPEN_REACH, become MISSED; answers their
    (dose id, patient id). `since`: see the module's docstring."""
    result = await session.execute(missed_statement(now, grace, since))
    return [(row[0], row[1]) for row in result]


def missed_statement(now: datetime, grace: timedelta, since: datetime | None) -> Update:
    bound = [] if since is None else [col(Dose.scheduled_at) >= since]
    return (
        update(Dose)
        .where(
            col(Dose.status) == DoseStatus.SCHEDULED.value,
            col(Dose.scheduled_at) < now - grace,
            (col(Dose.snoozed_until).is_(None))
            | (col(Dose.snoozed_until) < now - grace)
            | (col(Dose.scheduled_at) < open_since(now)),
            *bound,
        )
        .values(status=DoseStatus.MISSED.value)
        .returning(col(Dose.id), col(Dose.patient_id))
    )
