"""Dose log mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.doses import service
from prescripcare.doses.models import Dose
from prescripcare.doses.types import DoseActionEnum, DosePayload, DoseType
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction
from prescripcare.realtime.events import Event, EventKind, publish


async def _announce(info: Info, dose: Dose, kind: EventKind) -> None:
    """After the commit: dashboards on every replica hear of it."""
    res = info.context.resources
    event = Event(patient_id=dose.patient_id, kind=kind, at=info.context.now(), dose_id=dose.id)
    await publish(res.redis, res.keys, [event])


@strawberry.type
class DoseMutation:
    @strawberry.mutation(
        description="Record a dose TAKEN (at takenAt, default now) or SKIPPED. Re-recording "
        "corrects the record and keeps the history."
    )
    async def record_dose(
        self,
        info: Info,
        dose_id: strawberry.ID,
        status: DoseActionEnum,  # type: ignore[valid-type]
        taken_at: datetime | None = None,
    ) -> DosePayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        action = service.DoseAction(status)

        async def work(session: AsyncSession) -> Dose:
            return await service.record_dose(session, viewer, dose_id, action, taken_at, ctx.now())

        dose, errors = await in_transaction(ctx, work)
        if dose is not None:
            kind = (
                EventKind.DOSE_TAKEN
                if action is service.DoseAction.TAKEN
                else (EventKind.DOSE_SKIPPED)
            )
            await _announce(info, dose, kind)
        return DosePayload(dose=DoseType.from_model(dose) if dose else None, errors=errors)

    @strawberry.mutation(description="Remind again in 5 to 240 minutes.")
    async def snooze_reminder(
        self, info: Info, dose_id: strawberry.ID, minutes: int
    ) -> DosePayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work(session: AsyncSession) -> Dose:
            return await service.snooze(session, viewer, dose_id, minutes, ctx.now())

        dose, errors = await in_transaction(ctx, work)
        if dose is not None:
            await _announce(info, dose, EventKind.DOSE_SNOOZED)
        return DosePayload(dose=DoseType.from_model(dose) if dose else None, errors=errors)
