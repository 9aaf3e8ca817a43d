"""Plans of the dose fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prescripcare.graphql.context import Context
from prescripcare.plans.execute import every
from prescripcare.plans.registry import batch
from prescripcare.prescriptions.types import PrescriptionType
from prescripcare.reminders.types import ReminderType

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


@batch("Dose", "reminders")
async def reminders(ctx: Context, parents: Parents, args: Arguments) -> list[list[ReminderType]]:
    found = await ctx.loaders.reminders_by_dose.load_many([d._model.id for d in parents])
    return [[ReminderType.from_model(r) for r in group] for group in found]


@batch("Dose", "prescription")
async def prescription(ctx: Context, parents: Parents, args: Arguments) -> list[PrescriptionType]:
    found = await ctx.loaders.prescription_by_id.load_many(
        [d._model.prescription_id for d in parents]
    )
    visible = every(found, "a visible dose without a visible prescription")
    return [PrescriptionType.from_model(p) for p in visible]
