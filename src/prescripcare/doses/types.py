"""GraphQL types of doses."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from prescripcare.doses.models import Dose, DoseStatus
from prescripcare.doses.service import DoseAction
from prescripcare.graphql.errors import UserError
from prescripcare.graphql.info import Info
from prescripcare.reminders.types import ReminderType

if TYPE_CHECKING:
    from prescripcare.prescriptions.types import PrescriptionType

PrescriptionRef = Annotated["PrescriptionType", strawberry.lazy("prescripcare.prescriptions.types")]

DoseStatusEnum = strawberry.enum(
    DoseStatus,
    name="DoseStatus",
    description="SCHEDULED: still to be taken (also while snoozed). Replaced future doses are "
    "deleted, not kept.",
)
DoseActionEnum = strawberry.enum(DoseAction, name="DoseAction")


@strawberry.type(name="Dose")
class DoseType:
    id: strawberry.ID
    scheduled_at: datetime = strawberry.field(description="When the dose is due (UTC).")
    status: DoseStatusEnum  # type: ignore[valid-type]
    taken_at: datetime | None = strawberry.field(description="When it was actually taken.")
    recorded_at: datetime | None = strawberry.field(description="When it was recorded.")
    snoozed_until: datetime | None
    _model: strawberry.Private[Dose]

    @classmethod
    def from_model(cls, dose: Dose) -> DoseType:
        return cls(
            id=strawberry.ID(str(dose.id)),
            scheduled_at=dose.scheduled_at,
            status=DoseStatus(dose.status),
            taken_at=dose.taken_at,
            recorded_at=dose.recorded_at,
            snoozed_until=dose.snoozed_until,
            _model=dose,
        )

    @strawberry.field(description="Reminders sent (or being sent) for this dose.")
    async def reminders(self, info: Info) -> list[ReminderType]:
        found = await info.context.loaders.reminders_by_dose.load(self._model.id)
        return [ReminderType.from_model(r) for r in found]

    @strawberry.field
    async def prescription(self, info: Info) -> PrescriptionRef:
        from prescripcare.prescriptions.types import PrescriptionType

        found = await info.context.loaders.prescription_by_id.load(self._model.prescription_id)
        assert found is not None, "a visible dose has a visible prescription"
        return PrescriptionType.from_model(found)


@strawberry.type
class DosePayload:
    dose: DoseType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
