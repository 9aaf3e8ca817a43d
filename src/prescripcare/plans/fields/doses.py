"""Plans of the dose fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prescripcare.graphql.context import Context
from prescripcare.loading import one_per_key
from prescripcare.plans.execute import every
from prescripcare.plans.registry import batch
from prescripcare.plans.session import reads_of
from prescripcare.plans.statements import Prepared
from prescripcare.prescriptions.loaders import prescriptions_by_id
from prescripcare.prescriptions.types import PrescriptionType
from prescripcare.reminders.types import ReminderType

Parents = Sequence[Any]
Arguments = Mapping[str, Any]


@batch("Dose", "reminders")
async def reminders(ctx: Context, parents: Parents, args: Arguments) -> list[list[ReminderType]]:
    found = await ctx.loaders.reminders_by_dose.load_many([d._model.id for d in parents])
    return [[ReminderType.from_model(r) for r in group] for group in found]


PRESCRIPTIONS_BY_ID = Prepared(prescriptions_by_id)


@batch("Dose", "prescription")
async def prescription(ctx: Context, parents: Parents, args: Arguments) -> list[PrescriptionType]:
    keys = [d._model.prescription_id for d in parents]
    rows = await reads_of(ctx).fetch(
        PRESCRIPTIONS_BY_ID, ctx.require_viewer(), ids=sorted(set(keys))
    )
    found = one_per_key(keys, rows, lambda p: p.id)
    visible = every(found, "a visible dose without a visible prescription")
    # Many doses share a prescription: one object each (only ever read).
    built = {id(p): PrescriptionType.from_model(p) for p in visible}
    return [built[id(p)] for p in visible]
