"""Prescription mutations: prescribe, update, discontinue, record a fill."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.drugs.types import Interaction
from prescripcare.errors import UserFacingError
from prescripcare.graphql.errors import from_problem, user_errors
from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction, keep_unset
from prescripcare.partial import KEEP
from prescripcare.prescriptions import changes, fills, service
from prescripcare.prescriptions.inputs import (
    PrescribeInput,
    RecordFillInput,
    UpdatePrescriptionInput,
    status_of,
)
from prescripcare.prescriptions.models import Fill, Prescription
from prescripcare.prescriptions.types import (
    FillPayload,
    FillType,
    PrescribePayload,
    PrescriptionPayload,
    PrescriptionType,
    PrescriptionWarning,
)


class _Refused(Exception):
    """Rolls the transaction back while keeping the gate's outcome."""

    def __init__(self, outcome: service.PrescribeOutcome) -> None:
        self.outcome = outcome


def _prescription_payload(
    result: Prescription | None,
    errors: list,  # type: ignore[type-arg]
) -> PrescriptionPayload:
    return PrescriptionPayload(
        prescription=PrescriptionType.from_model(result) if result else None, errors=errors
    )


@strawberry.type
class PrescriptionMutation:
    @strawberry.mutation(
        description="Prescribe (CLINICIAN) or report a medicine one takes (PATIENT), behind "
        "the interaction gate."
    )
    async def prescribe(self, info: Info, input: PrescribeInput) -> PrescribePayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = service.NewPrescription(
            patient_id=input.patient_id,
            rxcui=input.rxcui.strip(),
            dose_quantity=input.dose.quantity,
            dose_unit=input.dose.unit,
            schedule=input.schedule.to_data(),
            start_date=input.start_date,
            end_date=input.end_date,
            sig=input.sig,
            quantity=input.quantity,
            days_supply=input.days_supply,
            refills=input.refills,
            acknowledge_interactions=bool(input.acknowledge_interactions),
            override_reason=input.override_reason,
        )
        try:
            async with ctx.transaction() as session:
                outcome = await service.prescribe(
                    session,
                    ctx.loaders.drugs,
                    viewer,
                    data,
                    ctx.now(),
                    ctx.resources.settings.dose_horizon,
                )
                if outcome.problems:
                    raise _Refused(outcome)
        except UserFacingError as error:
            return PrescribePayload(errors=user_errors(error))
        except _Refused as refused:
            outcome = refused.outcome
        return PrescribePayload(
            prescription=(
                PrescriptionType.from_model(outcome.prescription) if outcome.prescription else None
            ),
            interaction_warnings=[Interaction.from_finding(f) for f in outcome.findings],
            warnings=[
                PrescriptionWarning(code=w.code, message=w.message) for w in outcome.warnings
            ],
            errors=[from_problem(p) for p in outcome.problems],
        )

    @strawberry.mutation(description="Change dose, schedule, end date or sig; pause or resume.")
    async def update_prescription(
        self, info: Info, id: strawberry.ID, input: UpdatePrescriptionInput
    ) -> PrescriptionPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        dose = input.dose
        # A null dose, schedule or status changes nothing, as an unsent one.
        wanted = changes.PrescriptionChanges(
            dose_quantity=dose.quantity if dose else KEEP,
            dose_unit=dose.unit if dose else KEEP,
            schedule=input.schedule.to_data() if input.schedule else KEEP,
            end_date=keep_unset(input.end_date),
            sig=keep_unset(input.sig),
            status=status_of(input.status) or KEEP,
        )

        async def work(session: AsyncSession) -> Prescription:
            return await changes.update_prescription(
                session, viewer, id, wanted, ctx.now(), ctx.resources.settings.dose_horizon
            )

        return _prescription_payload(*await in_transaction(ctx, work))

    @strawberry.mutation(description="Stop a medicine: future doses are cancelled, history kept.")
    async def discontinue_prescription(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> PrescriptionPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()

        async def work(session: AsyncSession) -> Prescription:
            return await changes.discontinue_prescription(session, viewer, id, reason, ctx.now())

        return _prescription_payload(*await in_transaction(ctx, work))

    @strawberry.mutation(description="Record a pharmacy fill (for refills and PDC).")
    async def record_fill(self, info: Info, input: RecordFillInput) -> FillPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        data = fills.NewFill(
            prescription_id=input.prescription_id,
            filled_on=input.filled_on,
            days_supply=input.days_supply,
            quantity=input.quantity,
        )

        async def work(session: AsyncSession) -> Fill:
            return await fills.record_fill(session, viewer, data, ctx.now())

        fill, errors = await in_transaction(ctx, work)
        return FillPayload(fill=FillType.from_model(fill) if fill else None, errors=errors)
