"""`exportPatientData` and `erasePatient` (PATIENT for themself, ADMIN)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from prescripcare.graphql.info import Info
from prescripcare.graphql.mutation import in_transaction
from prescripcare.privacy.erasure import Erasure, erase_patient
from prescripcare.privacy.export import export_document, load_record, to_json
from prescripcare.privacy.types import ErasedRows, ErasePayload, ErasureSummary, ExportPayload


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Everything held about the patient as JSON (right of access and "
        "portability). The patient themself or an ADMIN."
    )
    async def export_patient_data(
        self, info: Info, patient_id: strawberry.ID
    ) -> ExportPayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        now = ctx.now()

        async def run(session: AsyncSession) -> str:
            record = await load_record(session, viewer, patient_id, now)
            return to_json(export_document(record, now))

        document, errors = await in_transaction(ctx, run)
        return ExportPayload(json=document, errors=errors)

    @strawberry.mutation(
        description="Delete the patient's personal data and account, end their sessions "
        "and cancel pending reminders (right to erasure). The patient themself or an ADMIN."
    )
    async def erase_patient(self, info: Info, patient_id: strawberry.ID) -> ErasePayload | None:
        ctx = info.context
        viewer = ctx.require_viewer()
        now = ctx.now()

        async def run(session: AsyncSession) -> Erasure:
            return await erase_patient(session, viewer, patient_id, now)

        erasure, errors = await in_transaction(ctx, run)
        if erasure is None:
            return ErasePayload(ok=False, errors=errors)
        return ErasePayload(
            ok=True,
            erased=ErasureSummary(
                patient_id=strawberry.ID(str(erasure.patient_id)),
                account_deleted=erasure.user_id is not None,
                reminders_cancelled=erasure.reminders_cancelled,
                removed=[ErasedRows(table=t, rows=n) for t, n in erasure.removed.items()],
            ),
        )
