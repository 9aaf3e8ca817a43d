"""Reminder loaders. Keys are doses already loaded for the viewer."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from prescripcare.loading import SessionLoader, many_per_key
from prescripcare.reminders.models import Reminder, ReminderState


class RemindersByDoseLoader(SessionLoader[uuid.UUID, list[Reminder]]):
    async def load_batch(
        self, session: AsyncSession, keys: list[uuid.UUID]
    ) -> list[list[Reminder]]:
        rows = await session.scalars(
            select(Reminder)
            .where(
                col(Reminder.dose_id).in_(keys),
                col(Reminder.status) != ReminderState.CANCELLED.value,
            )
            .order_by(col(Reminder.due_at), col(Reminder.channel))
        )
        return many_per_key(keys, rows, lambda r: r.dose_id)
